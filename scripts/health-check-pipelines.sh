#!/usr/bin/env bash
# The synthetic check of the monitoring guide ("Health Check (Every 5 Minutes)"): runs the curator's health job
# against the configured database and SSM (database reachable, switches readable, runs running/stuck/failed in the
# last hour, scheduled runs that never started) and reads one kill switch from SSM.
#
#   STORYTAILOR_ENV=production AWS_REGION=us-east-1 DATABASE_URL=... scripts/health-check-pipelines.sh
#
# Exit codes are the ops command's: 0 healthy, 1 unhealthy, 2 bad configuration, 3 no AWS credentials,
# 4 an endpoint unreachable.
set -uo pipefail
cd "$(dirname "$0")/.."

env_name="${STORYTAILOR_ENV:-production}"
region="${AWS_REGION:-us-east-1}"

npx --no-install tsx scripts/ops.ts health --env "$env_name" --region "$region"
code=$?
if [ "$code" -eq 0 ]; then
  echo "✅ All health checks passed"
else
  echo "❌ Health check failed (exit $code)"
fi
exit "$code"

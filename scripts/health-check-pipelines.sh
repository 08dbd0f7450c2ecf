#!/usr/bin/env bash
# The synthetic check of the monitoring guide ("Health Check (Every 5 Minutes)"), as it writes it: invoke the deployed
# curator's health job (`aws lambda invoke … {"detail":{"jobType":"health"}}`) and read one kill switch from SSM.
# Unlike the guide's script, which only checks `$?` (an invoke succeeds even when the function answered with an
# error), this one reads the function's answer: its FunctionError, and the health job's own status and checks (the
# database is checked by the function, from where it runs; no DATABASE_URL is needed here).
#
#   STORYTAILOR_ENV=production AWS_REGION=us-east-1 scripts/health-check-pipelines.sh
#
# Exit codes are the ops commands': 0 healthy, 1 unhealthy (or the function failed), 2 bad configuration,
# 3 no AWS credentials, 4 an endpoint unreachable (AWS, or the database as the function reports it).
set -uo pipefail

env_name="${STORYTAILOR_ENV:-production}"
region="${AWS_REGION:-us-east-1}"
function_name="storytailor-intelligence-curator-${env_name}"
case "$env_name" in production|staging) ;; *) echo "❌ STORYTAILOR_ENV must be production or staging, got ${env_name}"; exit 2 ;; esac
command -v aws >/dev/null || { echo "❌ the aws command is not installed"; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What an aws failure means: no credentials (3), an endpoint that cannot be reached (4), anything else (1).
aws_failure() {
  if grep -qiE 'Unable to locate credentials|could not load credentials|ExpiredToken|InvalidClientTokenId' "$work/stderr"; then return 3; fi
  if grep -qiE 'Could not connect to the endpoint|Connect timeout|Connection refused|Name or service not known|timed out' "$work/stderr"; then return 4; fi
  return 1
}
fail() {
  echo "❌ $2"
  exit "$1"
}

binary_format=()
if aws --version 2>&1 | grep -q '^aws-cli/2'; then binary_format=(--cli-binary-format raw-in-base64-out); fi
if ! aws lambda invoke --function-name "$function_name" --region "$region" "${binary_format[@]}" \
    --payload '{"detail":{"jobType":"health"}}' "$work/response.json" > "$work/invoke.json" 2> "$work/stderr"; then
  aws_failure; code=$?
  fail "$code" "Lambda health check failed: $(head -c 300 "$work/stderr")"
fi

# The invoke's own answer, then the health job's: {"ok":true,"kind":"health","status":"succeeded|failed","health":{...}}.
verdict=$(node -e '
  const fs = require("fs");
  const invoke = JSON.parse(fs.readFileSync(process.argv[1], "utf8") || "{}");
  let body = null;
  try { body = JSON.parse(fs.readFileSync(process.argv[2], "utf8")); } catch {}
  if (invoke.FunctionError) { console.log(`1 the function answered with an error (${invoke.FunctionError}): ${JSON.stringify(body).slice(0, 300)}`); process.exit(0); }
  if (!body || body.kind !== "health") { console.log(`1 the function did not answer a health report: ${JSON.stringify(body).slice(0, 300)}`); process.exit(0); }
  const health = body.health || {};
  if (health.database === "error") { console.log(`4 the database is unreachable from the function: ${health.databaseError || "no detail"}`); process.exit(0); }
  if (body.status !== "succeeded") {
    const why = [health.switches !== "ok" ? `switches ${health.switches}` : null, (health.runs || {}).stuck ? `${health.runs.stuck} stuck run(s)` : null,
      (health.missedRuns || []).length ? `missed: ${health.missedRuns.map((m) => m.job_type + " " + m.period_key).join(", ")}` : null].filter(Boolean).join("; ");
    console.log(`1 unhealthy: ${why || JSON.stringify(health).slice(0, 300)}`);
    process.exit(0);
  }
  console.log("0 healthy");
' "$work/invoke.json" "$work/response.json")
code=${verdict%% *}
[ "$code" -eq 0 ] || fail "$code" "Lambda health check failed: ${verdict#* }"

if ! aws ssm get-parameter --name "/storytailor-${env_name}/pipelines/daily-digest/enabled" --region "$region" > /dev/null 2> "$work/stderr"; then
  aws_failure; code=$?
  fail "$code" "SSM health check failed: $(head -c 300 "$work/stderr")"
fi

echo "✅ All health checks passed"

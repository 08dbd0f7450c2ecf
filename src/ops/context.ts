import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Clock, Payments } from '../curator/ports.js';
import type { Environment } from '../pipelines/index.js';
import type { CuratorResult } from '../runner/job-result.js';
import type { CuratorStore } from '../store/curator-store.js';
import type { EnvironmentSettings } from '../settings/environment-settings.js';
import type { CuratorConfig } from '../wiring/config.js';

/** What every command may use, made by the CLI from its flags and environment. */
export interface OpsContext {
  readonly env: Environment;
  readonly ssm: SSMClient;
  readonly events: EventBridgeClient;
  /** Opened only by the commands that record or read the database. */
  readonly store: () => Promise<CuratorStore>;
  /** Stripe as the curator pays, or the local stand-in when asked for (`local`); throws when neither is configured. */
  readonly payments: (allowLocal: boolean) => Promise<{ readonly payments: Payments; readonly local: boolean }>;
  /** The curator's configuration as ops reaches it (the deployed function's, or the database ops named). */
  readonly config: () => Promise<CuratorConfig>;
  /** Whether ops names its own database (DATABASE_URL, SUPABASE_URL, a test's): then jobs run here, not in Lambda. */
  readonly namesDatabase: boolean;
  readonly cloudwatch: () => CloudWatchClient;
  /** How `--wait` pauses between looks (tests run the curator meanwhile). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly clock: Clock;
  /**
   * Runs a curator job where the data is: the deployed function (Lambda Invoke) when ops reaches the database as
   * the deployed curator does, else the curator here, against the database ops named (DATABASE_URL, SUPABASE_URL).
   */
  readonly curator: (event: Readonly<Record<string, unknown>>) => Promise<CuratorResult>;
  /** Runs a curator job in this process, through the request contract as the handler does (`ops health`). */
  readonly runHere: (event: Readonly<Record<string, unknown>>) => Promise<CuratorResult>;
  /** The environment's settings in this checkout's cdk.json (the clinical approvers); a bad file is exit 2. */
  readonly settings: () => EnvironmentSettings;
  /** Who runs the command, as AWS knows them (`sts:GetCallerIdentity`): recorded beside a clinical approval. */
  readonly callerArn: () => Promise<string>;
  readonly out: (line: string) => void;
  /** Warnings and errors: never mixed into a `--json` document. */
  readonly err: (line: string) => void;
}

/** Who did it and why: every flip, stop and credit carries both. */
export interface Attribution {
  readonly actor: string;
  readonly reason: string;
  readonly ticket: string | null;
}


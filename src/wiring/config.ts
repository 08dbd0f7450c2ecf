import { z } from 'zod';
import { environments } from '../pipelines/index.js';

const jsonObject = (name: string) =>
  z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined || text.trim() === '') return {};
      try {
        const value: unknown = JSON.parse(text);
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, string>;
      } catch {
        // reported below
      }
      context.addIssue({ code: 'custom', message: `${name} must be a JSON object of strings` });
      return z.NEVER;
    });

/** A comma-separated list of addresses, each checked. */
const emailList = () =>
  z
    .string()
    .optional()
    .transform((text) => (text ? text.split(',').map((address) => address.trim()).filter(Boolean) : []))
    .pipe(z.array(z.email()));

const schema = z
  .object({
    CURATOR_ENV: z.enum(environments).default('staging'),
    /** Production: Supabase through its REST API with the service role. */
    SUPABASE_URL: z.url().optional(),
    SUPABASE_SERVICE_ROLE_KEY: z.string().min(20).optional(),
    /** A Postgres server (CI, local development). */
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string').optional(),
    /** With neither: embedded PGlite, in this folder or in memory. */
    CURATOR_PGLITE_DIR: z.string().optional(),
    CURATOR_PAGE_SIZE: z.coerce.number().int().min(1).max(5_000).default(1_000),
    CURATOR_LEASE_SECONDS: z.coerce.number().int().min(30).max(3_600).default(360),
    CURATOR_PAGES_IN_FLIGHT: z.coerce.number().int().min(1).max(8).default(3),
    /** The SQS work queue a run continues through when it nears the Lambda deadline. */
    CURATOR_WORK_QUEUE_URL: z.url().optional(),
    CURATOR_CONTINUATION_MARGIN_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
    /** A scheduled population larger than this is split into shards of this many, one invocation each (with a work queue). */
    CURATOR_SHARD_SIZE: z.coerce.number().int().min(1_000).max(10_000_000).default(50_000),
    /** How long an email of unknown outcome waits for SendGrid's events before it may be settled failed. */
    CURATOR_EVIDENCE_GRACE_MINUTES: z.coerce.number().int().min(5).max(24 * 60).default(30),
    CURATOR_SWITCHES: z.string().optional(),
    CURATOR_SWITCHES_FILE: z.string().optional(),
    CURATOR_OUTBOX_DIR: z.string().default('.local/outbox'),
    CURATOR_LEDGER_FILE: z.string().default('.local/stripe-ledger.json'),
    CURATOR_TEMPLATES: jsonObject('CURATOR_TEMPLATES'),
    /** Where the switches come from: SSM in AWS (the default inside Lambda), local otherwise. */
    CURATOR_SWITCH_SOURCE: z.enum(['ssm', 'local']).optional(),
    CURATOR_SWITCH_TTL_SECONDS: z.coerce.number().int().min(0).max(3_600).default(300),
    /** Where metrics go: CloudWatch (the default inside Lambda), or kept in memory. */
    CURATOR_METRICS: z.enum(['cloudwatch', 'memory']).optional(),
    AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region such as us-east-1').default('us-east-1'),
    /** An AWS endpoint other than the real one (the moto emulator in tests). */
    AWS_ENDPOINT_URL: z.url().optional(),
    AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
    /** Each secret is either its value (local) or the ARN of a Secrets Manager secret holding it (AWS). */
    SENDGRID_API_KEY: z.string().min(10).optional(),
    SENDGRID_API_KEY_SECRET_ARN: z.string().startsWith('arn:').optional(),
    SENDGRID_BASE_URL: z.url().optional(),
    CURATOR_FROM_EMAIL: z.email().optional(),
    CURATOR_FROM_NAME: z.string().default('Storytailor'),
    STRIPE_SECRET_KEY: z.string().min(10).optional(),
    STRIPE_SECRET_KEY_SECRET_ARN: z.string().startsWith('arn:').optional(),
    /** Another Stripe endpoint (a local server in tests), as http://host:port. */
    STRIPE_API_BASE: z.url().optional(),
    SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(40).optional(),
    SENDGRID_WEBHOOK_PUBLIC_KEY_SECRET_ARN: z.string().startsWith('arn:').optional(),
    SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN: z.string().startsWith('arn:').optional(),
    CURATOR_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(30).max(86_400).default(300),
    /** The Stripe webhook endpoint's signing secret (whsec_...), or the Secrets Manager secret that holds it. */
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    STRIPE_WEBHOOK_SECRET_ARN: z.string().startsWith('arn:').optional(),
    /** The critical alert topic: the complaint breaker pages it. */
    /** Who receives the morning ops summary: comma-separated addresses. */
    CURATOR_OPS_SUMMARY_RECIPIENTS: emailList(),
    CURATOR_CANARY_RECIPIENTS: emailList(),
  })
  .refine(
    (env) => (env.SUPABASE_URL === undefined) === (env.SUPABASE_SERVICE_ROLE_KEY === undefined && env.SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN === undefined),
    { message: 'SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (or its _SECRET_ARN) go together', path: ['SUPABASE_SERVICE_ROLE_KEY'] },
  )
  .refine((env) => !(env.SENDGRID_API_KEY || env.SENDGRID_API_KEY_SECRET_ARN) || env.CURATOR_FROM_EMAIL !== undefined, {
    message: 'sending through SendGrid needs the sender address',
    path: ['CURATOR_FROM_EMAIL'],
  });

/** A secret: its value here, or where Secrets Manager keeps it. */
export type SecretRef = { readonly value: string } | { readonly arn: string } | null;

const secretRef = (value: string | undefined, arn: string | undefined): SecretRef =>
  arn !== undefined ? { arn } : value !== undefined ? { value } : null;

/** Where the curator keeps its records. */
export type DatabaseConfig =
  | { readonly kind: 'supabase'; readonly url: string; readonly serviceRoleKey: SecretRef & object }
  | { readonly kind: 'postgres'; readonly connectionString: string }
  | { readonly kind: 'pglite'; readonly dataDir: string | null };

/** The curator's configuration, validated. */
export interface CuratorConfig {
  readonly environment: (typeof environments)[number];
  readonly database: DatabaseConfig;
  readonly pageSize: number;
  readonly leaseSeconds: number;
  readonly pagesInFlight: number;
  readonly workQueueUrl: string | undefined;
  readonly continuationMarginMs: number;
  readonly shardSize: number;
  readonly evidenceGraceMinutes: number;
  readonly switches: { readonly json: string | undefined; readonly file: string | undefined };
  readonly outboxDir: string;
  readonly ledgerFile: string;
  readonly templates: Readonly<Record<string, string>>;
  /** SendGrid, when configured; else the local outbox. */
  readonly sendgrid: { readonly apiKey: SecretRef & object; readonly baseUrl: string | undefined; readonly from: { email: string; name: string } } | null;
  /** Stripe, when configured; else the local ledger file. */
  readonly stripe: { readonly apiKey: SecretRef & object; readonly apiBase: string | undefined } | null;
  readonly webhook: { readonly publicKey: SecretRef; readonly toleranceSeconds: number };
  /** The Stripe webhook's signing secret; Stripe's own tolerance for a signed timestamp is 300 s. */
  readonly stripeWebhook: { readonly signingSecret: SecretRef };
  readonly canaryRecipients: readonly string[];
  /** The morning ops summary's recipients; with none it is not sent. */
  readonly opsSummaryRecipients: readonly string[];
  readonly aws: {
    readonly region: string;
    readonly endpoint: string | undefined;
    readonly switchSource: 'ssm' | 'local';
    readonly switchTtlSeconds: number;
    readonly metrics: 'cloudwatch' | 'memory';
  };
}

/** A configuration value is missing or malformed; the message names it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads the curator's configuration from the environment. Secrets (the Supabase key) are never echoed in an
 * error: only the variable's name and what is wrong with it.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): CuratorConfig {
  // An empty variable (`DATABASE_URL=`) means unset, as shells and CI systems use it.
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')));
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`).join('; ')}`,
    );
  }
  const value = parsed.data;
  const serviceRoleKey = secretRef(value.SUPABASE_SERVICE_ROLE_KEY, value.SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN);
  const sendgridKey = secretRef(value.SENDGRID_API_KEY, value.SENDGRID_API_KEY_SECRET_ARN);
  const stripeKey = secretRef(value.STRIPE_SECRET_KEY, value.STRIPE_SECRET_KEY_SECRET_ARN);
  const database: DatabaseConfig =
    value.SUPABASE_URL !== undefined && serviceRoleKey !== null
      ? { kind: 'supabase', url: value.SUPABASE_URL, serviceRoleKey }
      : value.DATABASE_URL !== undefined
        ? { kind: 'postgres', connectionString: value.DATABASE_URL }
        : { kind: 'pglite', dataDir: value.CURATOR_PGLITE_DIR ?? null };
  return {
    environment: value.CURATOR_ENV,
    database,
    pageSize: value.CURATOR_PAGE_SIZE,
    leaseSeconds: value.CURATOR_LEASE_SECONDS,
    pagesInFlight: value.CURATOR_PAGES_IN_FLIGHT,
    workQueueUrl: value.CURATOR_WORK_QUEUE_URL,
    continuationMarginMs: value.CURATOR_CONTINUATION_MARGIN_SECONDS * 1_000,
    shardSize: value.CURATOR_SHARD_SIZE,
    evidenceGraceMinutes: value.CURATOR_EVIDENCE_GRACE_MINUTES,
    switches: { json: value.CURATOR_SWITCHES, file: value.CURATOR_SWITCHES_FILE },
    outboxDir: value.CURATOR_OUTBOX_DIR,
    ledgerFile: value.CURATOR_LEDGER_FILE,
    templates: value.CURATOR_TEMPLATES,
    sendgrid:
      sendgridKey === null
        ? null
        : { apiKey: sendgridKey, baseUrl: value.SENDGRID_BASE_URL, from: { email: value.CURATOR_FROM_EMAIL!, name: value.CURATOR_FROM_NAME } },
    stripe: stripeKey === null ? null : { apiKey: stripeKey, apiBase: value.STRIPE_API_BASE },
    webhook: {
      publicKey: secretRef(value.SENDGRID_WEBHOOK_PUBLIC_KEY, value.SENDGRID_WEBHOOK_PUBLIC_KEY_SECRET_ARN),
      toleranceSeconds: value.CURATOR_WEBHOOK_TOLERANCE_SECONDS,
    },
    stripeWebhook: { signingSecret: secretRef(value.STRIPE_WEBHOOK_SECRET, value.STRIPE_WEBHOOK_SECRET_ARN) },
    canaryRecipients: value.CURATOR_CANARY_RECIPIENTS,
    opsSummaryRecipients: value.CURATOR_OPS_SUMMARY_RECIPIENTS,
    aws: {
      region: value.AWS_REGION,
      endpoint: value.AWS_ENDPOINT_URL,
      switchSource: value.CURATOR_SWITCH_SOURCE ?? (value.AWS_LAMBDA_FUNCTION_NAME ? 'ssm' : 'local'),
      switchTtlSeconds: value.CURATOR_SWITCH_TTL_SECONDS,
      metrics: value.CURATOR_METRICS ?? (value.AWS_LAMBDA_FUNCTION_NAME ? 'cloudwatch' : 'memory'),
    },
  };
}

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
  })
  .refine((env) => (env.SUPABASE_URL === undefined) === (env.SUPABASE_SERVICE_ROLE_KEY === undefined), {
    message: 'SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY go together',
    path: ['SUPABASE_SERVICE_ROLE_KEY'],
  });

/** Where the curator keeps its records. */
export type DatabaseConfig =
  | { readonly kind: 'supabase'; readonly url: string; readonly serviceRoleKey: string }
  | { readonly kind: 'postgres'; readonly connectionString: string }
  | { readonly kind: 'pglite'; readonly dataDir: string | null };

/** The curator's configuration, validated. */
export interface CuratorConfig {
  readonly environment: (typeof environments)[number];
  readonly database: DatabaseConfig;
  readonly pageSize: number;
  readonly leaseSeconds: number;
  readonly switches: { readonly json: string | undefined; readonly file: string | undefined };
  readonly outboxDir: string;
  readonly ledgerFile: string;
  readonly templates: Readonly<Record<string, string>>;
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
  const database: DatabaseConfig =
    value.SUPABASE_URL !== undefined && value.SUPABASE_SERVICE_ROLE_KEY !== undefined
      ? { kind: 'supabase', url: value.SUPABASE_URL, serviceRoleKey: value.SUPABASE_SERVICE_ROLE_KEY }
      : value.DATABASE_URL !== undefined
        ? { kind: 'postgres', connectionString: value.DATABASE_URL }
        : { kind: 'pglite', dataDir: value.CURATOR_PGLITE_DIR ?? null };
  return {
    environment: value.CURATOR_ENV,
    database,
    pageSize: value.CURATOR_PAGE_SIZE,
    leaseSeconds: value.CURATOR_LEASE_SECONDS,
    switches: { json: value.CURATOR_SWITCHES, file: value.CURATOR_SWITCHES_FILE },
    outboxDir: value.CURATOR_OUTBOX_DIR,
    ledgerFile: value.CURATOR_LEDGER_FILE,
    templates: value.CURATOR_TEMPLATES,
    aws: {
      region: value.AWS_REGION,
      endpoint: value.AWS_ENDPOINT_URL,
      switchSource: value.CURATOR_SWITCH_SOURCE ?? (value.AWS_LAMBDA_FUNCTION_NAME ? 'ssm' : 'local'),
      switchTtlSeconds: value.CURATOR_SWITCH_TTL_SECONDS,
      metrics: value.CURATOR_METRICS ?? (value.AWS_LAMBDA_FUNCTION_NAME ? 'cloudwatch' : 'memory'),
    },
  };
}

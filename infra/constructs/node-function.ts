import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing, type RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

/** Props of {@link NodeFunction}. */
export interface NodeFunctionProps {
  readonly functionName: string;
  /** The handler module, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  readonly reservedConcurrentExecutions?: number;
  readonly recursiveLoop?: RecursiveLoop;
  /** Files copied beside the bundle (`from` relative to the repository root, `to` a file name): WASM, a font. */
  readonly assets?: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How every function of this repository is bundled (esbuild, by the CDK locally and by `bench/bundle.ts` and the
 * bundle tests directly): ESM for Node.js 22, the embedded database and pg's native binding left out, `require`
 * made for the CommonJS dependencies that still use it.
 */
export const lambdaBundle = {
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  external: ['@electric-sql/pglite', 'pg-native', '@aws-sdk/client-lambda'],
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
} as const;

/**
 * A function of this repository as the stack deploys them: bundled by the local esbuild (no Docker) as ESM,
 * Node.js 22 on arm64, X-Ray tracing, its own log group `/aws/lambda/{name}` kept three months. The embedded
 * database and pg's native binding are left out: the Lambda reaches Supabase over HTTPS.
 */
export class NodeFunction extends Construct {
  public readonly fn: NodejsFunction;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: `${root}${props.entry}`,
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: `${root}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(props.recursiveLoop === undefined ? {} : { recursiveLoop: props.recursiveLoop }),
      bundling: {
        format: OutputFormat.ESM,
        target: lambdaBundle.target,
        minify: true,
        sourceMap: true,
        mainFields: [...lambdaBundle.mainFields],
        externalModules: [...lambdaBundle.external],
        banner: lambdaBundle.banner,
        forceDockerBundling: false,
        ...(props.assets && props.assets.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => props.assets!.map((asset) => `cp "${inputDir}/${asset.from}" "${outputDir}/${asset.to}"`),
              },
            }
          : {}),
      },
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The design fixes the runtime at Node.js 22 (nodejs22.x), the version the code and its SDKs are built for.',
    });
  }
}

/**
 * The one Lambda construct: the latest Node.js runtime on ARM64, an esbuild ESM bundle with source maps (the
 * AWS SDK clients come from the runtime, which keeps bundles and cold starts small), an explicit log group with
 * retention and X-Ray tracing. Its role starts with nothing but writing to that log group; access is granted
 * only through the `use*` methods, each of which sets the env var the code reads next to the grant that lets
 * it act on it.
 */
import { join, resolve } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing, LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { grantItemAccess } from './data-table.js';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/** Every function's runtime; its bundles target the same Node.js (`nodejs24.x` → esbuild's `node24`). */
const RUNTIME = Runtime.NODEJS_24_X;

/** How every function is bundled (CDK runs esbuild with these; `npm run bench` bundles with the same to measure). */
export const APP_FUNCTION_BUNDLING = {
  format: OutputFormat.ESM,
  target: RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1'),
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // The Node.js runtime ships every AWS SDK v3 client; the small helper libraries (lib-dynamodb,
  // lib-storage, the presigner) are bundled so no deploy depends on which of them it ships.
  externalModules: ['@aws-sdk/client-*'],
  // Workspace packages (@mailroom/*) bundle from their TypeScript source, as in tsc and vitest; naming any
  // condition drops esbuild's default `module`, so it is named too.
  esbuildArgs: { '--conditions': 'mailroom-source,module' },
  // Some dependencies are CommonJS and call require(): give ESM bundles a require.
  banner: "import { createRequire as __mailroomCreateRequire } from 'module'; const require = __mailroomCreateRequire(import.meta.url);",
} satisfies BundlingOptions;

export interface AppFunctionProps {
  /** Handler module relative to the project root, e.g. functions/http/teams/create.ts. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  logRetention: RetentionDays;
  /** Plain configuration (never secrets: use useSecret). */
  environment?: Record<string, string>;
  removalPolicy: RemovalPolicy;
}

export class AppFunction extends Construct {
  readonly function: NodejsFunction;
  /** The handler module, relative to the project root. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // Our own role: the default one attaches AWSLambdaBasicExecutionRole (create any log group, write to any).
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: RUNTIME,
      role,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'mailroom',
        ...props.environment,
      },
      bundling: APP_FUNCTION_BUNDLING,
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions (test/infra/nag.test.ts allows '*' to nothing else).",
    });
  }

  /** TABLE_NAME + item-level read/write on the table and its indexes (no table management). */
  useTable(table: ITableV2, access: 'read' | 'readwrite'): this {
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    grantItemAccess(table, this.function, access);
    return this;
  }

  /** `<QUEUE>_URL` + permission to send to that one queue. */
  useQueueToSend(queue: IQueue, urlEnvVar: string): this {
    this.function.addEnvironment(urlEnvVar, queue.queueUrl);
    queue.grantSendMessages(this.function);
    return this;
  }

  /** `<NAME>_SECRET_ARN` + permission to read that one secret. */
  useSecret(secret: ISecret, arnEnvVar: string): this {
    this.function.addEnvironment(arnEnvVar, secret.secretArn);
    secret.grantRead(this.function);
    return this;
  }
}

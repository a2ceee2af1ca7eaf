/**
 * AWS SDK v3 clients, created once per container. Endpoints come from the standard AWS_ENDPOINT_URL_*
 * variables, which is how the local runtime and the tests point them at emulators.
 *
 * Tracing: every function runs with Lambda active tracing (one X-Ray trace per invocation, cold start included),
 * and the SDK sends the invocation's X-Amzn-Trace-Id on every call, so work queued through SQS is linked to the
 * request that queued it; log lines carry xray_trace_id next to the request and team ids. The clients are not wrapped
 * in the Powertools Tracer: its X-Ray SDK adds ~124 KB to every function, past the 500 KB bundle budget.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';

/**
 * The SDK's logger middleware runs every call's input and output through its sensitive-data filter even with no
 * logger configured (the default no-op logger still has an info method): 0.05-0.3 ms of CPU per DynamoDB call,
 * measured on 2 cores. These clients are never given a logger, so the middleware goes.
 */
function withoutSdkLogging<Client extends { middlewareStack: { remove(name: string): boolean } }>(client: Client): Client {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

export const dynamodb = withoutSdkLogging(new DynamoDBClient({}));
export const documentClient = DynamoDBDocumentClient.from(dynamodb, {
  marshallOptions: { removeUndefinedValues: true },
});
// fauxqs answers with queue URLs on a virtual host; the explicit endpoint variable must win locally.
export const sqs = withoutSdkLogging(new SQSClient({ useQueueUrlAsEndpoint: !process.env.AWS_ENDPOINT_URL_SQS }));
export const secretsManager = withoutSdkLogging(new SecretsManagerClient({}));
// SendEmail is not idempotent: an SDK retry after a connection that broke once SES had the mail would send it
// twice. Throttling and 5xx go back to the send queue instead (with backoff), where the sender's claim decides.
export const ses = withoutSdkLogging(new SESv2Client({ maxAttempts: 1 }));
// Locally the S3 emulator needs path-style URLs; the checksum settings keep presigned PUTs valid on real S3.
export const s3 = withoutSdkLogging(
  new S3Client({
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }),
);
export const stepFunctions = withoutSdkLogging(new SFNClient({}));

/**
 * AWS SDK v3 clients, created once per container. Endpoints come from the standard AWS_ENDPOINT_URL_*
 * variables, which is how the local runtime and the tests point them at emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export const dynamodb = new DynamoDBClient({});
export const documentClient = DynamoDBDocumentClient.from(dynamodb, {
  marshallOptions: { removeUndefinedValues: true },
});
// fauxqs answers with queue URLs on a virtual host; the explicit endpoint variable must win locally.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: !process.env.AWS_ENDPOINT_URL_SQS });
export const secretsManager = new SecretsManagerClient({});

/**
 * The one price table the benchmark prices its measurements with: AWS list prices in us-east-1, on-demand, first
 * pricing tier, free tiers ignored. Re-check the sources and move PRICES_AS_OF when a price changes.
 */
export const PRICES_AS_OF = '2026-11-23';

const MILLION = 1e6;
const THOUSAND = 1e3;

/** `usd` per `per` of `unit`. */
export const PRICES = {
  httpApiRequest: { usd: 1.0, per: MILLION, unit: 'HTTP API requests (metered per 512 KB)', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  lambdaRequest: { usd: 0.2, per: MILLION, unit: 'Lambda requests', source: 'https://aws.amazon.com/lambda/pricing/' },
  lambdaGbSecond: { usd: 0.0000133334, per: 1, unit: 'Lambda GB-second on Arm (billed per ms)', source: 'https://aws.amazon.com/lambda/pricing/' },
  dynamoWriteUnit: { usd: 0.625, per: MILLION, unit: 'DynamoDB write request units (on-demand)', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  dynamoReadUnit: { usd: 0.125, per: MILLION, unit: 'DynamoDB read request units (on-demand)', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  sqsRequest: { usd: 0.4, per: MILLION, unit: 'SQS standard requests (metered per 64 KB)', source: 'https://aws.amazon.com/sqs/pricing/' },
  snsPublish: { usd: 0.5, per: MILLION, unit: 'SNS standard publishes (delivery to SQS is free)', source: 'https://aws.amazon.com/sns/pricing/' },
  s3WriteRequest: { usd: 0.005, per: THOUSAND, unit: 'S3 Standard PUT, COPY, POST or LIST requests', source: 'https://aws.amazon.com/s3/pricing/' },
  s3ReadRequest: { usd: 0.0004, per: THOUSAND, unit: 'S3 Standard GET and other requests', source: 'https://aws.amazon.com/s3/pricing/' },
  stepFunctionsTransition: { usd: 0.025, per: THOUSAND, unit: 'Step Functions standard state transitions', source: 'https://aws.amazon.com/step-functions/pricing/' },
  cloudWatchLogsIngested: { usd: 0.5, per: 1, unit: 'GB of CloudWatch Logs ingested (Standard class)', source: 'https://aws.amazon.com/cloudwatch/pricing/' },
  sesEmail: { usd: 0.1, per: THOUSAND, unit: 'SES emails sent (per recipient)', source: 'https://aws.amazon.com/ses/pricing/' },
  sesEmailReceived: { usd: 0.1, per: THOUSAND, unit: 'SES emails received', source: 'https://aws.amazon.com/ses/pricing/' },
  sesIncomingChunk: { usd: 0.09, per: THOUSAND, unit: 'SES incoming mail chunks (256 KB)', source: 'https://aws.amazon.com/ses/pricing/' },
} as const;

export type PriceName = keyof typeof PRICES;

/** USD for one unit. */
export const unitPrice = (name: PriceName) => PRICES[name].usd / PRICES[name].per;

/** "$0.625 per million DynamoDB write request units" */
export function describePrice(name: PriceName): string {
  const { usd, per, unit } = PRICES[name];
  const quantity = per === MILLION ? 'million ' : per === THOUSAND ? '1,000 ' : '';
  return `$${usd} per ${quantity}${unit}`;
}

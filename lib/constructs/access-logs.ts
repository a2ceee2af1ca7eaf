/**
 * The access-log bucket: S3 server access logs of the mail and media buckets (who read or wrote which
 * object) and the CDN's request logs, kept as long as the function logs. Private, encrypted, TLS only.
 */
import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { privateBucketProps } from './mail-storage.js';

export class AccessLogs extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { retain: boolean; retention: RetentionDays }) {
    super(scope, id);
    // S3 delivers server access logs under a bucket policy (logging.s3.amazonaws.com), not the legacy
    // log-delivery-write ACL.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucketProps(props.retain),
      // CloudFront's standard logs are written with an ACL grant: the only bucket here with ACLs enabled.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.retention) }],
    });
  }
}

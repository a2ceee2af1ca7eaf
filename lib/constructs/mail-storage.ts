/** The mail bucket: message payloads and attachments (later raw inbound MIME). Private, encrypted, TLS only. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type BucketProps } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** What every Mailroom bucket is: private, S3-encrypted, TLS only, owner-enforced; kept (or emptied and destroyed for dev stages). */
export function privateBucketProps(retain: boolean): BucketProps {
  return {
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    autoDeleteObjects: !retain,
  };
}

export class MailStorage extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { retain: boolean; payloadRetentionDays: number }) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucketProps(props.retain),
      lifecycleRules: [
        // Outgoing payloads are only needed to send and to show an email; keep them as long as the timeline.
        { prefix: 'emails/', expiration: Duration.days(props.payloadRetentionDays) },
        // Received mail is copied into its inbox's prefix by the inbound worker; the landing copy is only
        // needed until then (and for redrives of failed receipts).
        { prefix: 'inbound/', expiration: Duration.days(14) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }
}

/** The mail bucket: message payloads and attachments (later raw inbound MIME). Private, encrypted, TLS only. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type BucketProps, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BucketObjectAccess } from './bucket-object-access.js';

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

export type MailObjectAccess = 'read' | 'write' | 'delete';

export class MailStorage extends Construct {
  readonly bucket: Bucket;
  readonly objects: BucketObjectAccess<MailObjectAccess>;

  constructor(scope: Construct, id: string, props: { retain: boolean; payloadRetentionDays: number; accessLogs: IBucket }) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucketProps(props.retain),
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'mail/',
      lifecycleRules: [
        // Outgoing payloads are only needed to send and to show an email; keep them as long as the timeline.
        { prefix: 'emails/', expiration: Duration.days(props.payloadRetentionDays) },
        // Received mail is copied into its inbox's prefix by the inbound worker; the landing copy is only
        // needed until then (and for redrives of failed receipts).
        { prefix: 'inbound/', expiration: Duration.days(14) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    this.objects = new BucketObjectAccess(this, 'Objects', {
      bucket: this.bucket,
      keyPattern: '*',
      levels: {
        // Listing on the bucket makes a missing key a 404, not a 403.
        read: { objectActions: ['s3:GetObject'], bucketActions: ['s3:ListBucket'] },
        // Tagging: a copied attachment keeps its source's tags. Abort: large received parts go up in multipart uploads.
        write: { objectActions: ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'] },
        delete: { objectActions: ['s3:DeleteObject'] },
      },
      wildcardReason: 'Keys are made at run time per team, email and inbox message; only this bucket, with explicit actions.',
    });
  }
}

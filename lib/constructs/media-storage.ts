/**
 * The media bucket of the storage API (`media/<team>/<bucket>/<key>`): private, encrypted, TLS only. Public
 * buckets are served by a CloudFront distribution with origin access control, and the bucket policy lets
 * CloudFront read only objects tagged `mailroom-visibility=public`. Object changes are sent to the
 * storage-events queue (usage counting, tagging).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { AllowedMethods, CachePolicy, Distribution, HttpVersion, PriceClass, ViewerProtocolPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Bucket, EventType, HttpMethods, type IBucket } from 'aws-cdk-lib/aws-s3';
import { privateBucketProps } from './mail-storage.js';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MEDIA_KEY_PREFIX, PUBLIC_TAG } from '../../functions/schemas/storage.js';
import { BucketObjectAccess } from './bucket-object-access.js';

export type MediaObjectAccess = 'read' | 'write' | 'delete';

export interface MediaStorageProps {
  retain: boolean;
  eventsQueue: IQueue;
  /** Origins allowed to upload and download from a browser with presigned URLs (none: any origin). */
  corsOrigins: readonly string[];
  /** Where the bucket's server access logs and the CDN's request logs go. */
  accessLogs: IBucket;
}

export class MediaStorage extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly objects: BucketObjectAccess<MediaObjectAccess>;

  constructor(scope: Construct, id: string, props: MediaStorageProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucketProps(props.retain),
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'media/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Presigned URLs are the credential; CORS only lets browsers use them.
      cors: [
        {
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: props.corsOrigins.length ? [...props.corsOrigins] : ['*'],
          allowedHeaders: ['content-type', 'content-length'],
          exposedHeaders: ['etag'],
          maxAge: 3600,
        },
      ],
    });
    const destination = new SqsDestination(props.eventsQueue);
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, { prefix: MEDIA_KEY_PREFIX });
    this.bucket.addEventNotification(EventType.OBJECT_REMOVED, destination, { prefix: MEDIA_KEY_PREFIX });

    this.distribution = new Distribution(this, 'Cdn', {
      comment: 'Mailroom public media',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.accessLogs,
      logFilePrefix: 'cdn/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // Short TTLs: making a bucket private takes effect within minutes, not a day.
        cachePolicy: new CachePolicy(this, 'Cache', { defaultTtl: Duration.minutes(5), maxTtl: Duration.hours(1), minTtl: Duration.seconds(0) }),
      },
    });
    // The OAC grant covers the whole bucket; this narrows it to objects of public buckets (deny wins).
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringNotEquals: { [`s3:ExistingObjectTag/${PUBLIC_TAG.key}`]: PUBLIC_TAG.value } },
      }),
    );
    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'Public objects are linked from mail and web pages read anywhere: no country is excluded.' },
      { id: 'AwsSolutions-CFR2', reason: 'Read-only GET/HEAD of cached static objects: a web ACL would cost more than the abuse it could stop.' },
      { id: 'AwsSolutions-CFR4', reason: "No custom domain: the default cloudfront.net certificate's TLS policy is CloudFront's to set." },
    );

    this.objects = new BucketObjectAccess(this, 'Objects', {
      bucket: this.bucket,
      keyPattern: `${MEDIA_KEY_PREFIX}*`,
      levels: {
        // Listing makes a missing key a 404, not a 403; tags are read so a copy into the mail bucket keeps them.
        read: { objectActions: ['s3:GetObject', 's3:GetObjectTagging'], bucketActions: ['s3:ListBucket'] },
        // Tags decide what the CDN may serve, so writing includes them.
        write: { objectActions: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObjectTagging', 's3:DeleteObjectTagging'] },
        delete: { objectActions: ['s3:DeleteObject'] },
      },
      wildcardReason: "Keys are made at run time per team, bucket and object; only this bucket's media/ keys, with explicit actions.",
    });
  }

  get publicUrl(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}

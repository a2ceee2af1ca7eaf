/**
 * The media bucket of the storage API (`media/<team>/<bucket>/<key>`): private, encrypted, TLS only. Public
 * buckets are served by a CloudFront distribution with origin access control, and the bucket policy lets
 * CloudFront read only objects tagged `mailroom-visibility=public`. Object changes are sent to the
 * storage-events queue (usage counting, tagging).
 */
import { Duration } from 'aws-cdk-lib';
import { AllowedMethods, CachePolicy, Distribution, HttpVersion, PriceClass, ViewerProtocolPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Bucket, EventType, HttpMethods } from 'aws-cdk-lib/aws-s3';
import { privateBucketProps } from './mail-storage.js';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MEDIA_KEY_PREFIX, PUBLIC_TAG } from '../../functions/schemas/storage.js';


export interface MediaStorageProps {
  retain: boolean;
  eventsQueue: IQueue;
  /** Origins allowed to upload and download from a browser with presigned URLs (none: any origin). */
  corsOrigins: readonly string[];
}

export class MediaStorage extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: MediaStorageProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucketProps(props.retain),
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
  }

  get publicUrl(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}

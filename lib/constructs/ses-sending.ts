/**
 * SES sending: two configuration sets (with and without open/click tracking, chosen per send) that
 * publish their events (lib/ses-event-types.ts) to an SNS topic, delivered raw to the events queue. Nothing public: SES → SNS → SQS.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { ConfigurationSet, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TRACKED_EVENT_TYPES, UNTRACKED_EVENT_TYPES } from '../ses-event-types.js';

export class SesSending extends Construct {
  readonly tracked: ConfigurationSet;
  readonly untracked: ConfigurationSet;
  readonly eventTopic: Topic;

  constructor(scope: Construct, id: string, props: { eventsQueue: IQueue; removalPolicy: RemovalPolicy }) {
    super(scope, id);
    // Events name recipients and subjects, so the topic is encrypted at rest. With a key of ours: SES may only
    // publish to an encrypted topic whose key policy lets it, and an AWS managed key's policy cannot be changed.
    const key = new Key(this, 'EventsKey', { description: 'Mailroom SES events topic', enableKeyRotation: true, removalPolicy: props.removalPolicy });
    key.addToResourcePolicy(
      new PolicyStatement({ principals: [new ServicePrincipal('ses.amazonaws.com')], actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'] }),
    );
    this.eventTopic = new Topic(this, 'Events', { displayName: 'Mailroom SES events', enforceSSL: true, masterKey: key });
    this.eventTopic.addSubscription(new SqsSubscription(props.eventsQueue, { rawMessageDelivery: true }));

    this.tracked = new ConfigurationSet(this, 'Tracked', {});
    this.tracked.addEventDestination('ToEvents', {
      destination: EventDestination.snsTopic(this.eventTopic),
      events: TRACKED_EVENT_TYPES.map((type) => EmailSendingEvent[type]),
    });
    this.untracked = new ConfigurationSet(this, 'Untracked', {});
    this.untracked.addEventDestination('ToEvents', { destination: EventDestination.snsTopic(this.eventTopic), events: UNTRACKED_EVENT_TYPES.map((type) => EmailSendingEvent[type]) });
  }
}

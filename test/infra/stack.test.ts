/**
 * Assertions on the synthesized templates (bundling skipped for speed; CI runs one real `cdk synth`).
 */
import { CDK_PROVIDER, synthMailroom } from '../support/synth-stack.js';
import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteDefinition } from '../../lib/routes.js';
import { QUEUES, visibilityTimeoutSeconds } from '../../lib/queues.js';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE } from '../../functions/shared/config.js';
import { campaignStateMachineDefinition } from '../../lib/campaign-state-machine.js';

/** Headroom under CloudFormation's 500-resource limit that every stack must keep. */
const MAX_RESOURCES_PER_STACK = 400;

const synth = (stage: string) => synthMailroom({ stage }, `Test-${stage}`);
const prod = synth('prod');
const all = (type: string) => prod.resources(type).map((r) => ({ ...r, stack: r.stack.name }));

describe('Lambda functions', () => {
  const functions = all('AWS::Lambda::Function').filter((f) => !CDK_PROVIDER.test(f.id));

  it('one per route, plus the fallback, one per queue consumer, the SES receipt action and the campaign step', () => {
    expect(functions).toHaveLength(ROUTES.length + 1 + QUEUES.length + 1 + 1);
  });

  it('run on ARM64 with a current Node.js runtime, X-Ray tracing and an explicit log group', () => {
    for (const fn of functions) {
      expect(fn.Properties.Architectures, fn.id).toEqual(['arm64']);
      expect(fn.Properties.Runtime, fn.id).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
      expect(fn.Properties.TracingConfig, fn.id).toEqual({ Mode: 'Active' });
      expect(fn.Properties.LoggingConfig?.LogGroup, fn.id).toBeDefined();
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      // Any send path may put a link to the API in a mail (double opt-in, unsubscribe).
      expect(fn.Properties.Environment.Variables.PUBLIC_API_URL, fn.id).toBeDefined();
    }
  });

  it('log groups keep logs for a bounded time', () => {
    const groups = all('AWS::Logs::LogGroup');
    // One per function, the campaign state machine's and the API's access log.
    expect(groups.length).toBe(functions.length + 2);
    for (const group of groups) expect(group.Properties.RetentionInDays, group.id).toBe(30);
  });

  it('get exactly the table and secret access their route declares', () => {
    for (const route of ROUTES as readonly RouteDefinition[]) {
      const fn = functions.find((f) => f.Properties.Description === `Mailroom API: ${route.method} ${route.path}`);
      expect(fn, route.id).toBeDefined();
      const vars = fn!.Properties.Environment.Variables;
      const authenticated = route.access !== 'public';
      const uses = route.uses ?? [];
      expect(vars.TABLE_NAME !== undefined, `${route.id} TABLE_NAME`).toBe(authenticated || uses.includes('table'));
      expect(vars.PEPPER_SECRET_ARN !== undefined, `${route.id} pepper`).toBe(authenticated || uses.includes('pepper'));
      expect(vars.ROOT_KEY_SECRET_ARN !== undefined, `${route.id} root key`).toBe(authenticated);
      expect(vars.MAIL_BUCKET !== undefined, `${route.id} bucket`).toBe(uses.some((u) => u.startsWith('mail-store')));
      expect(JSON.stringify(vars)).not.toMatch(/MAILROOM_PEPPER|MAILROOM_ROOT_KEY/);
    }
  });
});

describe('receiving', () => {
  it('an active rule set scans, stores raw mail in the bucket, then invokes the receipt function as an event', () => {
    const [rule] = all('AWS::SES::ReceiptRule');
    expect(rule!.Properties.Rule).toMatchObject({ Enabled: true, ScanEnabled: true });
    const actions = rule!.Properties.Rule.Actions;
    expect(actions[0].S3Action).toMatchObject({ ObjectKeyPrefix: 'inbound/' });
    expect(actions[1].LambdaAction).toMatchObject({ InvocationType: 'Event' });
    expect(JSON.stringify(all('Custom::AWS')[0]!.Properties)).toContain('setActiveReceiptRuleSet');
  });
});

describe('sending', () => {
  it('publishes the SES event types of both configuration sets (not Send: the sender records it) to one topic, delivered raw to the events queue', () => {
    const destinations = all('AWS::SES::ConfigurationSetEventDestination');
    expect(destinations).toHaveLength(2);
    const types = destinations.map((d) => d.Properties.EventDestination.MatchingEventTypes.sort());
    expect(types).toContainEqual(expect.arrayContaining(['open', 'click', 'delivery', 'bounce', 'complaint', 'reject', 'deliveryDelay']));
    for (const t of types) expect(t).not.toContain('send');
    expect(types.some((t: string[]) => !t.includes('open') && !t.includes('click') && t.includes('delivery'))).toBe(true);
    const [subscription] = all('AWS::SNS::Subscription');
    expect(subscription!.Properties).toMatchObject({ Protocol: 'sqs', RawMessageDelivery: true });
    const [topicPolicy] = all('AWS::SNS::TopicPolicy');
    expect(JSON.stringify(topicPolicy!.Properties)).toContain('ses.amazonaws.com');
  });

  it('paces the sender: its event source has a maximum concurrency the pacer knows about', () => {
    const sender = all('AWS::Lambda::Function').find((f) => f.Properties.Description === 'Consumes the send queue');
    const concurrency = Number(sender!.Properties.Environment.Variables.CONSUMER_MAX_CONCURRENCY);
    expect(concurrency).toBeGreaterThanOrEqual(2);
    const mapping = all('AWS::Lambda::EventSourceMapping').find((m) => JSON.stringify(m.Properties.FunctionName).includes(sender!.id));
    expect(mapping!.Properties.ScalingConfig.MaximumConcurrency).toBe(concurrency);
    expect(sender!.Properties.Environment.Variables.SES_SEND_RATE_PER_SECOND).toBe('14');
  });

  it('keeps every bucket private: encrypted, public access blocked, TLS only', () => {
    // Mail, media and their access logs.
    const buckets = all('AWS::S3::Bucket');
    expect(buckets).toHaveLength(3);
    for (const bucket of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, bucket.id).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, bucket.id).toBe('AES256');
    }
    const policies = all('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(buckets.length);
    for (const policy of policies) expect(JSON.stringify(policy.Properties), policy.id).toContain('aws:SecureTransport');
  });
});

describe('HTTP API', () => {
  it('has a route for every route table entry and a $default fallback', () => {
    const keys = all('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey);
    for (const route of ROUTES) expect(keys).toContain(`${route.method} ${route.path}`);
    expect(keys).toContain('$default');
    expect(keys).toHaveLength(ROUTES.length + 1);
  });

  it('answers CORS only for the configured origins', () => {
    const [api] = all('AWS::ApiGatewayV2::Api');
    expect(api!.Properties.CorsConfiguration.AllowOrigins).toEqual(['https://app.example.com']);
  });

  it('keeps every stack well under the 500-resource CloudFormation limit', () => {
    for (const { name, template } of prod.templates()) {
      const count = Object.keys(template.toJSON().Resources).length;
      expect(count, name).toBeLessThan(MAX_RESOURCES_PER_STACK);
    }
  });
});

describe('queues', () => {
  const queues = all('AWS::SQS::Queue');
  const mappings = all('AWS::Lambda::EventSourceMapping');

  it('every work queue has a DLQ and redrive policy; every DLQ belongs to a queue', () => {
    const withRedrive = queues.filter((q) => q.Properties.RedrivePolicy);
    expect(withRedrive).toHaveLength(QUEUES.length);
    expect(queues).toHaveLength(QUEUES.length * 2);
    for (const queue of withRedrive) expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
  });

  it('are encrypted, TLS-only and retain messages for a bounded time', () => {
    for (const queue of queues) {
      expect(queue.Properties.SqsManagedSseEnabled, queue.id).toBe(true);
      expect(queue.Properties.MessageRetentionPeriod, queue.id).toBeGreaterThan(0);
    }
    expect(all('AWS::SQS::QueuePolicy').length).toBe(queues.length);
  });

  it('every consumer reports partial batch failures and the queue waits 6× its timeout', () => {
    expect(mappings).toHaveLength(QUEUES.length);
    for (const mapping of mappings) expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    for (const definition of QUEUES) {
      const queue = queues.find((q) => q.Properties.VisibilityTimeout === visibilityTimeoutSeconds(definition));
      expect(queue, definition.name).toBeDefined();
    }
  });
});

describe('webhooks', () => {
  const functions = all('AWS::Lambda::Function');
  const withVar = (name: string) => functions.filter((f) => f.Properties.Environment?.Variables?.[name] !== undefined);

  it('deliver over HTTPS to public addresses only: a deployment never allows private targets, nor plain HTTP by default', () => {
    expect(withVar('WEBHOOK_ALLOW_PRIVATE_NETWORKS')).toHaveLength(0);
    expect(withVar('WEBHOOK_ALLOW_HTTP')).toHaveLength(0);
  });

  it('retry 8 times before the DLQ: one first attempt and one per step of the default schedule', () => {
    const delivery = QUEUES.find((q) => q.name === 'webhook-delivery')!;
    expect(delivery.maxReceiveCount).toBe(DEFAULT_WEBHOOK_RETRY_SCHEDULE.length + 1);
    const queue = all('AWS::SQS::Queue').find((q) => q.Properties.VisibilityTimeout === visibilityTimeoutSeconds(delivery) && q.Properties.RedrivePolicy);
    expect(queue!.Properties.RedrivePolicy.maxReceiveCount).toBe(8);
  });

  it('only what publishes events can send to the fan-out queue, and only the delivery worker and the retry route to the delivery queue', () => {
    const describe = (f: (typeof functions)[number]) => String(f.Properties.Description);
    // A consumer also knows its own queue's URL (to back failed records off).
    expect(withVar('WEBHOOK_FANOUT_QUEUE_URL').map(describe).sort()).toEqual(
      [
        'Consumes the webhook-fanout queue',
        'Consumes the inbound queue',
        'Consumes the send queue',
        'Consumes the ses-events queue',
        'Consumes the webhook-delivery queue',
        'Consumes the contact-import queue',
        'Mailroom API: POST /v1/domains/{id}/verify',
        'Mailroom API: POST /v1/identify',
        'Mailroom API: PATCH /v1/contacts/{id}',
        'Mailroom API: POST /v1/unsubscribe/{token}',
        'Mailroom API: GET /v1/lists/confirm/{token}',
        'Mailroom API: POST /v1/lists/confirm/{token}',
        'Mailroom API: POST /v1/lists/{id}/contacts',
        'Mailroom API: DELETE /v1/lists/{id}/contacts/{contact_id}',
        // A conversion may create its contact (contact.created).
        'Mailroom API: POST /v1/conversions',
        // Tracking creates unknown contacts; a campaign's update_contact step changes them.
        'Mailroom API: POST /v1/events',
        'Mailroom API: POST /v1/campaigns/{id}/test-event',
        'Runs campaign enrolment steps (invoked by the campaign state machine)',
      ].sort(),
    );
    expect(withVar('WEBHOOK_DELIVERY_QUEUE_URL').map(describe).sort()).toEqual(
      ['Consumes the webhook-delivery queue', 'Consumes the webhook-fanout queue', 'Mailroom API: POST /v1/webhooks/{id}/attempts/{attempt_id}/retry'].sort(),
    );
  });
});

describe('media storage', () => {
  it('serves public objects through CloudFront with origin access control, and only those tagged public', () => {
    const [distribution] = all('AWS::CloudFront::Distribution');
    expect(distribution!.Properties.DistributionConfig.Origins[0].OriginAccessControlId).toBeDefined();
    expect(distribution!.Properties.DistributionConfig.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    const policies = JSON.stringify(all('AWS::S3::BucketPolicy').map((p) => p.Properties.PolicyDocument));
    expect(policies).toContain('"s3:ExistingObjectTag/mailroom-visibility":"public"');
  });

  it('reports object changes under media/ to the storage-events queue', () => {
    const [notifications] = all('Custom::S3BucketNotifications');
    const configs = notifications!.Properties.NotificationConfiguration.QueueConfigurations;
    expect(configs.map((c: any) => c.Events[0]).sort()).toEqual(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
    for (const c of configs) expect(c.Filter.Key.FilterRules).toEqual([{ Name: 'prefix', Value: 'media/' }]);
  });

  it('tells only the functions that use it where the media bucket is', () => {
    const functions = all('AWS::Lambda::Function');
    const bucketVar = (f: (typeof functions)[number]) => f.Properties.Environment?.Variables?.MEDIA_BUCKET !== undefined;
    const described = functions.filter(bucketVar).map((f) => String(f.Properties.Description)).sort();
    expect(described).toContain('Mailroom API: POST /v1/emails');
    expect(described).toContain('Consumes the storage-events queue');
    expect(described).not.toContain('Mailroom API: GET /v1/storage/usage');
  });
});

describe('campaigns', () => {
  const [machine] = all('AWS::StepFunctions::StateMachine');
  const functions = all('AWS::Lambda::Function');

  it('run on one standard state machine with the shared JSONPath definition, traced and logged', () => {
    expect(all('AWS::StepFunctions::StateMachine')).toHaveLength(1);
    expect(machine!.Properties.StateMachineType).toBe('STANDARD');
    expect(machine!.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine!.Properties.LoggingConfiguration.Destinations).toHaveLength(1);
    const parts: unknown[] = machine!.Properties.DefinitionString['Fn::Join'][1];
    const definition = parts.map((p) => (typeof p === 'string' ? p : 'arn:aws:lambda:us-east-1:1:function:step')).join('');
    expect(JSON.parse(definition)).toEqual(campaignStateMachineDefinition('arn:aws:lambda:us-east-1:1:function:step'));
    expect(definition).not.toContain('JSONata');
  });

  it('only routes that enrol contacts may start executions, and only of that state machine', () => {
    const starters = all('AWS::IAM::Policy').filter((p) => p.Properties.PolicyDocument.Statement.some((s: { Action: unknown }) => [s.Action].flat().includes('states:StartExecution')));
    const withArn = functions.filter((f) => f.Properties.Environment?.Variables?.CAMPAIGN_STATE_MACHINE_ARN);
    const enrolling = (ROUTES as readonly RouteDefinition[]).filter((r) => r.uses?.includes('campaign-runs'));
    expect(withArn).toHaveLength(enrolling.length);
    expect(starters).toHaveLength(enrolling.length);
    for (const policy of starters) {
      const statement = policy.Properties.PolicyDocument.Statement.find((s: { Action: unknown }) => [s.Action].flat().includes('states:StartExecution'));
      expect(JSON.stringify(statement.Resource)).toContain('CampaignsEnrolments');
    }
  });
});

describe('IAM', () => {
  it('grants no wildcard actions and no wildcard resources on data', () => {
    for (const policy of all('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        const actions: string[] = [statement.Action].flat();
        for (const action of actions) expect(action, policy.id).not.toMatch(/(^\*$|:\*$)/);
        const touchesData = actions.some((a) => /^(dynamodb|sqs|s3|secretsmanager|kms):/.test(a));
        if (touchesData) expect([statement.Resource].flat(), `${policy.id} ${actions}`).not.toContain('*');
      }
    }
  });
});

describe('data', () => {
  it('the table is on-demand with PITR, TTL and the schema indexes; retained and protected outside dev', () => {
    const [table] = all('AWS::DynamoDB::GlobalTable');
    expect(table!.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expires_at', Enabled: true });
    expect(table!.Properties.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table!.Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
    expect(table!.Properties.GlobalSecondaryIndexes.map((i: any) => [i.IndexName, i.Projection])).toEqual([
      ['gsi1', { ProjectionType: 'ALL' }],
      // Emails' list index copies only what never changes, so their status writes cost no index write.
      ['gsi2', { ProjectionType: 'INCLUDE', NonKeyAttributes: ['recipient_addresses', 'tags'] }],
    ]);
    expect(table!.DeletionPolicy).toBe('Retain');
  });

  it('a dev stage can be torn down with its data', () => {
    const dev = synth('dev');
    const tables = dev.templates().flatMap(({ template }) => Object.values(template.findResources('AWS::DynamoDB::GlobalTable')));
    expect(tables[0]!.DeletionPolicy).toBe('Delete');
  });

  it('generates the root key and the pepper at deploy time', () => {
    const secrets = all('AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret.Properties.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(48);
      expect(secret.Properties.SecretString).toBeUndefined();
    }
  });
});

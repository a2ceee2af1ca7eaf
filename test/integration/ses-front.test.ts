/**
 * The local SES v2 front through the real SESv2Client: identities and configuration sets answered with SES's
 * shapes and errors, mail proxied to aws-ses-v2-local, and SES event records published through SNS to SQS
 * after each accepted send, driven by the mailbox-simulator addresses. No queue workers run here; the events
 * are read straight from queues.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import {
  CreateConfigurationSetCommand,
  CreateEmailIdentityCommand,
  DeleteEmailIdentityCommand,
  GetConfigurationSetEventDestinationsCommand,
  GetEmailIdentityCommand,
  PutEmailIdentityMailFromAttributesCommand,
  SendEmailCommand,
  SESv2Client,
  type SendEmailCommandInput,
} from '@aws-sdk/client-sesv2';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { provisionConfigurationSet } from '../../local/provision.js';
import { SES_EVENT_TYPES, TRACKED_EVENT_TYPES, UNTRACKED_EVENT_TYPES } from '../../lib/ses-event-types.js';
import { endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { workerStack } from '../support/worker-stack.js';
import { eventually } from '../support/http.js';

const ses = new SESv2Client({ endpoint: endpoints().ses, ...LOCAL_AWS });
const sqs = new SQSClient({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
const sns = new SNSClient({ endpoint: endpoints().sqsS3, ...LOCAL_AWS });
const run = `${process.pid}-${Date.now().toString(36)}`;
const SIM = 'simulator.amazonses.com';

let stack: LocalStack;
/** A configuration set of this file's own, publishing to a queue of its own (other test files consume ses-events). */
const configurationSet = `front-test-${run}`;
let queueUrl: string;

beforeAll(async () => {
  // The API only, to show the front serves the same emulators the stack uses; no queue workers.
  stack = await startLocalStack({ withWorkers: false });
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `front-test-events-${run}` }));
  queueUrl = queue.QueueUrl!;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `front-test-events-${run}` }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
  await provisionConfigurationSet(ses, configurationSet, TopicArn!, SES_EVENT_TYPES);
});

afterAll(async () => {
  await stack.stop();
  for (const client of [ses, sqs, sns]) client.destroy();
});

const fixture = (name: string) => JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/ses', `${name}.json`), 'utf8'));
const FIXTURE_OF: Record<string, string> = {
  Send: 'send',
  Delivery: 'delivery',
  Bounce: 'bounce-permanent',
  Complaint: 'complaint',
  Open: 'open',
  Click: 'click',
  DeliveryDelay: 'delivery-delay',
  Reject: 'reject',
};
/** Maps of tag name → values, whose names vary by message. */
const FREE_FORM = new Set(['tags', 'linkTags']);
/** commonHeaders carries the headers the message has: the fixture's ones and possibly these. */
const OPTIONAL_COMMON_HEADERS = new Set(['cc', 'bcc', 'replyTo', 'date', 'returnPath']);

/** Asserts `actual` has exactly the fixture's structure: the same keys at every level and the same value types. */
function expectShape(actual: unknown, expected: unknown, path = '$') {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path} is empty`).toBeGreaterThan(0);
    for (const [i, item] of (actual as unknown[]).entries()) expectShape(item, expected[0], `${path}[${i}]`);
    return;
  }
  if (expected && typeof expected === 'object') {
    expect(actual && typeof actual === 'object' && !Array.isArray(actual), path).toBe(true);
    const actualObject = actual as Record<string, unknown>;
    const expectedKeys = Object.keys(expected);
    const key = path.split('.').pop()!;
    if (FREE_FORM.has(key)) {
      for (const [name, values] of Object.entries(actualObject)) expect(values, `${path}.${name}`).toEqual(expect.arrayContaining([expect.any(String)]));
      return;
    }
    const extra = Object.keys(actualObject).filter((k) => !expectedKeys.includes(k));
    expect(extra.filter((k) => !(key === 'commonHeaders' && OPTIONAL_COMMON_HEADERS.has(k))), `${path}: unexpected keys`).toEqual([]);
    for (const k of expectedKeys) {
      expect(k in actualObject, `${path}.${k} is missing`).toBe(true);
      expectShape(actualObject[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    }
    return;
  }
  expect(typeof actual, path).toBe(typeof expected);
}

type EventRecord = { eventType: string; mail: Record<string, any> } & Record<string, any>;
const received: EventRecord[] = [];
/** When SQS got each record (its SentTimestamp). */
const enqueuedAt = new WeakMap<EventRecord, number>();

/** Drains the test queue into `received`, then returns the records of one message once `count` arrived. */
async function eventsOf(messageId: string, count: number, timeoutMs = 10_000): Promise<EventRecord[]> {
  return eventually(async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['SentTimestamp'] }),
    );
    if (Messages.length) {
      for (const message of Messages) {
        const record = JSON.parse(message.Body!) as EventRecord;
        enqueuedAt.set(record, Number(message.Attributes?.SentTimestamp));
        received.push(record);
      }
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    const mine = received.filter((r) => r.mail.messageId === messageId);
    return mine.length >= count ? mine : undefined;
  }, timeoutMs);
}

async function rawMime(options: SendMailOptions): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await transport.sendMail(options);
  return info.message as Buffer;
}

/** What aws-ses-v2-local captured, through the front. */
async function captured(): Promise<{ messageId: string; subject: string }[]> {
  const store = (await (await fetch(`${endpoints().ses}/store`)).json()) as { emails: { messageId: string; subject: string }[] };
  return store.emails;
}

async function admin(path: string, body: object) {
  const res = await fetch(`${endpoints().ses}/_mailroom${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const send = (input: SendEmailCommandInput) => ses.send(new SendEmailCommand(input));

describe('identities', () => {
  it('creates an Easy DKIM domain identity, sets its MAIL FROM, is driven by the admin route and deleted', async () => {
    const name = `lifecycle-${run}.example.com`;
    const created = await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: name, ConfigurationSetName: configurationSet }));
    expect(created).toMatchObject({ IdentityType: 'DOMAIN', VerifiedForSendingStatus: false, DkimAttributes: { SigningEnabled: true, Status: 'PENDING', SigningAttributesOrigin: 'AWS_SES' } });
    expect(created.DkimAttributes!.Tokens).toHaveLength(3);
    for (const token of created.DkimAttributes!.Tokens!) expect(token).toMatch(/^[a-z2-7]{32}$/);

    await expect(ses.send(new CreateEmailIdentityCommand({ EmailIdentity: name }))).rejects.toMatchObject({
      name: 'AlreadyExistsException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      ses.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: name, MailFromDomain: 'bounce.elsewhere.com' })),
    ).rejects.toMatchObject({ name: 'BadRequestException' });
    await ses.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: name, MailFromDomain: `bounce.${name}`, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' }));

    // Pinned by the admin route: a check does not auto-verify it.
    expect((await admin(`/identities/${name}/status`, { dkim: 'PENDING' })).status).toBe(200);
    const pending = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name }));
    expect(pending).toMatchObject({
      IdentityType: 'DOMAIN',
      VerifiedForSendingStatus: false,
      VerificationStatus: 'PENDING',
      ConfigurationSetName: configurationSet,
      DkimAttributes: { Status: 'PENDING', Tokens: created.DkimAttributes!.Tokens },
      MailFromAttributes: { MailFromDomain: `bounce.${name}`, MailFromDomainStatus: 'PENDING', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
    });

    await admin(`/identities/${name}/status`, { dkim: 'FAILED' });
    expect(await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name }))).toMatchObject({
      VerifiedForSendingStatus: false,
      DkimAttributes: { Status: 'FAILED' },
      MailFromAttributes: { MailFromDomainStatus: 'FAILED' },
    });
    await admin(`/identities/${name}/status`, { dkim: 'SUCCESS' });
    const verified = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name }));
    expect(verified).toMatchObject({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS' }, MailFromAttributes: { MailFromDomainStatus: 'SUCCESS' } });
    expect(verified.VerificationInfo?.LastSuccessTimestamp).toBeInstanceOf(Date);

    await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: name }));
    for (const command of [new GetEmailIdentityCommand({ EmailIdentity: name }), new DeleteEmailIdentityCommand({ EmailIdentity: name })]) {
      await expect(ses.send(command as GetEmailIdentityCommand)).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
    }
    expect((await admin(`/identities/${name}/status`, { dkim: 'SUCCESS' })).status).toBe(404);
  });

  it('verifies a pending identity on its first check (no DNS locally)', async () => {
    const name = `auto-${run}.example.com`;
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: name }));
    await ses.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: name, MailFromDomain: `bounce.${name}` }));
    expect(await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name }))).toMatchObject({
      VerifiedForSendingStatus: true,
      DkimAttributes: { Status: 'SUCCESS' },
      MailFromAttributes: { MailFromDomainStatus: 'SUCCESS' },
    });
  });

  it('answers SES errors for what does not exist or is malformed', async () => {
    await expect(ses.send(new CreateEmailIdentityCommand({ EmailIdentity: `x-${run}.example.com`, ConfigurationSetName: 'no-such-set' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    await expect(ses.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: `none-${run}.example.com`, MailFromDomain: 'a.b' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    expect((await admin(`/identities/none-${run}.example.com/status`, { dkim: 'SOMETIMES' })).status).toBe(400);
  });
});

describe('configuration sets', () => {
  it('refuses a duplicate and lists the SNS event destination', async () => {
    await expect(ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: configurationSet }))).rejects.toMatchObject({ name: 'AlreadyExistsException' });
    const { EventDestinations } = await ses.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: configurationSet }));
    expect(EventDestinations).toEqual([expect.objectContaining({ Enabled: true, MatchingEventTypes: [...SES_EVENT_TYPES], SnsDestination: { TopicArn: expect.any(String) } })]);
  });

  it('has the deployment\'s two sets provisioned, publishing through SNS raw delivery to the ses-events queue', async () => {
    const eventsQueue = workerStack().queues.find((q) => q.definition.name === 'ses-events')!;
    for (const [name, types] of [
      [process.env.SES_CONFIGURATION_SET!, TRACKED_EVENT_TYPES],
      [process.env.SES_CONFIGURATION_SET_UNTRACKED!, UNTRACKED_EVENT_TYPES],
    ] as const) {
      const { EventDestinations = [] } = await ses.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: name }));
      expect(EventDestinations).toHaveLength(1);
      expect(EventDestinations[0]!.MatchingEventTypes).toEqual([...types]);
      const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: EventDestinations[0]!.SnsDestination!.TopicArn }));
      const subscription = Subscriptions.find((s) => s.Endpoint === eventsQueue.arn);
      expect(subscription?.Protocol).toBe('sqs');
      const { Attributes } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription!.SubscriptionArn }));
      expect(Attributes?.RawMessageDelivery).toBe('true');
    }
    expect(UNTRACKED_EVENT_TYPES).not.toContain('OPEN');
    expect(UNTRACKED_EVENT_TYPES).not.toContain('CLICK');
  });
});

describe('sending and events', () => {
  it('publishes Send, then per recipient what the mailbox simulator does, in the fixtures\' shapes', async () => {
    const raw = await rawMime({
      from: '"Sender, Test" <sender@front-test.example.com>',
      to: [`success@${SIM}`, `"Bounce Me" <bounce@${SIM}>`],
      cc: `complaint@${SIM}`,
      bcc: `suppressionlist@${SIM}`,
      subject: 'Événements de test',
      text: 'Hello',
      html: '<p>Hello</p>',
      headers: { 'X-Mailroom-Email-Id': 'em_test' },
    });
    const sentAt = Date.now();
    const { MessageId } = await send({
      Content: { Raw: { Data: raw } },
      Destination: { ToAddresses: [`success@${SIM}`, `bounce@${SIM}`], CcAddresses: [`complaint@${SIM}`], BccAddresses: [`suppressionlist@${SIM}`] },
      ConfigurationSetName: configurationSet,
      EmailTags: [{ Name: 'mailroom-email-id', Value: 'em_test' }],
    });
    const answeredAt = Date.now();
    expect(MessageId).toEqual(expect.any(String));

    // Send, Delivery (success@), Bounce (bounce@), Delivery + Complaint (complaint@), Bounce (suppressionlist@).
    const records = await eventsOf(MessageId!, 6);
    expect(records).toHaveLength(6);
    for (const record of records) {
      expectShape(record, fixture(FIXTURE_OF[record.eventType]!));
      expect(record.mail).toMatchObject({
        messageId: MessageId,
        source: 'sender@front-test.example.com',
        sourceArn: expect.stringMatching(/^arn:aws:ses:us-east-1:\d{12}:identity\/front-test\.example\.com$/),
        destination: [`success@${SIM}`, `bounce@${SIM}`, `complaint@${SIM}`, `suppressionlist@${SIM}`],
        headersTruncated: false,
        commonHeaders: {
          from: ['"Sender, Test" <sender@front-test.example.com>'],
          to: [`success@${SIM}`, `Bounce Me <bounce@${SIM}>`],
          cc: [`complaint@${SIM}`],
          subject: 'Événements de test',
          messageId: MessageId,
        },
      });
      expect(record.mail.tags).toMatchObject({
        'ses:configuration-set': [configurationSet],
        'ses:from-domain': ['front-test.example.com'],
        'mailroom-email-id': ['em_test'],
      });
      const headers = Object.fromEntries(record.mail.headers.map((h: { name: string; value: string }) => [h.name.toLowerCase(), h.value]));
      // As in the raw MIME: values unfolded but not decoded.
      expect(headers).toMatchObject({ 'x-mailroom-email-id': 'em_test', subject: '=?UTF-8?Q?=C3=89v=C3=A9nements_de_test?=', 'mime-version': '1.0' });
      expect(Date.parse(record.mail.timestamp)).toBeGreaterThanOrEqual(sentAt - 1000);
    }
    // Published only after SendEmail had answered.
    for (const record of records) expect(enqueuedAt.get(record)).toBeGreaterThanOrEqual(answeredAt);
    const byType = (type: string) => records.filter((r) => r.eventType === type);
    expect(records[0]!.eventType).toBe('Send');
    expect(byType('Send')).toHaveLength(1);
    expect(byType('Delivery').map((r) => r.delivery.recipients).sort()).toEqual([[`complaint@${SIM}`], [`success@${SIM}`]]);
    expect(byType('Delivery')[0]!.mail.tags['ses:outgoing-ip']).toEqual([expect.any(String)]);
    const bounces = Object.fromEntries(byType('Bounce').map((r) => [r.bounce.bouncedRecipients[0].emailAddress, r.bounce]));
    expect(bounces[`bounce@${SIM}`]).toMatchObject({ bounceType: 'Permanent', bounceSubType: 'General' });
    expect(bounces[`suppressionlist@${SIM}`]).toMatchObject({ bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' });
    const [complaint] = byType('Complaint');
    expect(complaint!.complaint.complainedRecipients).toEqual([{ emailAddress: `complaint@${SIM}` }]);
    // The complaint follows its delivery.
    expect(records.indexOf(complaint!)).toBeGreaterThan(records.findIndex((r) => r.eventType === 'Delivery' && r.delivery.recipients[0] === `complaint@${SIM}`));
    for (const record of [...byType('Delivery'), ...byType('Bounce'), ...byType('Complaint')]) {
      const timestamp = record.delivery?.timestamp ?? record.bounce?.timestamp ?? record.complaint?.timestamp;
      expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(Date.parse(record.mail.timestamp));
    }

    // The mail went through to aws-ses-v2-local, whose store and viewer the front serves.
    expect((await captured()).map((e) => e.messageId)).toContain(MessageId);
    const viewer = await fetch(`${endpoints().ses}/`);
    expect(viewer.status).toBe(200);
    expect(viewer.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('takes the recipients of raw mail from its headers when the request names none', async () => {
    const raw = await rawMime({ from: 'sender@front-test.example.com', to: `ooto@${SIM}`, cc: `bounce+label@${SIM}`, subject: 'headers only', text: 'x' });
    const { MessageId } = await send({ Content: { Raw: { Data: raw } }, ConfigurationSetName: configurationSet });
    const records = await eventsOf(MessageId!, 3);
    expect(records[0]!.mail.destination).toEqual([`ooto@${SIM}`, `bounce+label@${SIM}`]);
    expect(records.map((r) => r.eventType).sort()).toEqual(['Bounce', 'Delivery', 'Send']);
    expect(records.find((r) => r.eventType === 'Delivery')!.delivery.recipients).toEqual([`ooto@${SIM}`]);
  });

  it('uses the sending identity\'s default configuration set when the request names none', async () => {
    const domain = `default-set-${run}.example.com`;
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: domain, ConfigurationSetName: configurationSet }));
    const { MessageId } = await send({
      FromEmailAddress: `hello@${domain}`,
      Destination: { ToAddresses: [`success@${SIM}`] },
      Content: { Simple: { Subject: { Data: 'simple' }, Body: { Text: { Data: 'hi' } } } },
    });
    const records = await eventsOf(MessageId!, 2);
    expect(records.map((r) => r.eventType)).toEqual(['Send', 'Delivery']);
    for (const record of records) expectShape(record, fixture(FIXTURE_OF[record.eventType]!));
    expect(records[0]!.mail).toMatchObject({
      source: `hello@${domain}`,
      sourceArn: `arn:aws:ses:us-east-1:000000000000:identity/${domain}`,
      commonHeaders: { from: [`hello@${domain}`], to: [`success@${SIM}`], subject: 'simple' },
      tags: { 'ses:configuration-set': [configurationSet] },
    });
  });

  it('publishes Open, Click, DeliveryDelay and Reject on demand through the admin route', async () => {
    const { MessageId } = await send({
      FromEmailAddress: 'sender@front-test.example.com',
      Destination: { ToAddresses: [`success@${SIM}`] },
      Content: { Simple: { Subject: { Data: 'engagement' }, Body: { Html: { Data: '<a href="https://example.com/x">x</a>' } } } },
      ConfigurationSetName: configurationSet,
    });
    await eventsOf(MessageId!, 2);
    expect(await admin(`/messages/${MessageId}/events`, { type: 'Open' })).toEqual({ status: 200, body: { published: 1 } });
    expect((await admin(`/messages/${MessageId}/events`, { type: 'Click', link: 'https://example.com/x' })).body).toEqual({ published: 1 });
    expect((await admin(`/messages/${MessageId}/events`, { type: 'DeliveryDelay' })).body).toEqual({ published: 1 });
    expect((await admin(`/messages/${MessageId}/events`, { type: 'Reject' })).body).toEqual({ published: 1 });
    const records = await eventsOf(MessageId!, 6);
    for (const type of ['Open', 'Click', 'DeliveryDelay', 'Reject']) {
      const record = records.find((r) => r.eventType === type)!;
      expectShape(record, fixture(FIXTURE_OF[type]!));
      expect(record.mail.messageId).toBe(MessageId);
    }
    expect(records.find((r) => r.eventType === 'Click')!.click.link).toBe('https://example.com/x');
    expect(records.find((r) => r.eventType === 'DeliveryDelay')!.deliveryDelay.delayedRecipients).toEqual([
      expect.objectContaining({ emailAddress: `success@${SIM}` }),
    ]);

    expect((await admin(`/messages/${MessageId}/events`, { type: 'Click' })).status).toBe(400);
    expect((await admin(`/messages/${MessageId}/events`, { type: 'Bounce', recipient: 'someone@else.com' })).status).toBe(400);
    expect((await admin('/messages/nope/events', { type: 'Open' })).status).toBe(404);
  });

  it('publishes no open or click for the untracked configuration set', async () => {
    const { MessageId } = await send({
      FromEmailAddress: 'sender@front-test.example.com',
      Destination: { ToAddresses: [`success@${SIM}`] },
      Content: { Simple: { Subject: { Data: 'untracked' }, Body: { Text: { Data: 'x' } } } },
      ConfigurationSetName: process.env.SES_CONFIGURATION_SET_UNTRACKED!,
    });
    expect((await admin(`/messages/${MessageId}/events`, { type: 'Open' })).body).toEqual({ published: 0 });
    expect((await admin(`/messages/${MessageId}/events`, { type: 'Click', link: 'https://example.com' })).body).toEqual({ published: 0 });
  });

  it('refuses a send naming a configuration set that does not exist, as SES does', async () => {
    const subject = `refused-${run}`;
    await expect(
      send({
        FromEmailAddress: 'sender@front-test.example.com',
        Destination: { ToAddresses: [`success@${SIM}`] },
        Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'x' } } } },
        ConfigurationSetName: 'no-such-set',
      }),
    ).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
    expect((await captured()).map((e) => e.subject)).not.toContain(subject);
  });
});

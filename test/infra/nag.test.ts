/**
 * Security checks on the synthesized app (one synth, bundling skipped): cdk-nag's AwsSolutions pack finds no
 * unacknowledged error or warning in the root stack or any nested stack, and IAM names no wildcard action.
 * Acknowledgements live next to what they justify (`Validations.of(construct).acknowledge`, one line each).
 */
import { CDK_PROVIDER, synthMailroom, type Resource } from '../support/synth-stack.js';
import { describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';

// Synthesizing first resolves what nag reads as the deploy will see it (cross-stack references become parameters).
const synthesized = synthMailroom({}, 'Nag-prod');
const templates = synthesized.templates().map(({ name, template }) => ({ stack: name, resources: template.toJSON().Resources as Record<string, Resource> }));

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: unknown;
  Principal?: unknown;
}

/** Every policy statement of the templates, with where it is: identity policies and resource policies. */
function statements(): { where: string; kind: 'identity' | 'resource'; statement: Statement }[] {
  const documents = (r: Resource): { kind: 'identity' | 'resource'; document: { Statement: Statement[] } }[] => {
    switch (r.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        return [{ kind: 'identity', document: r.Properties!.PolicyDocument }];
      case 'AWS::IAM::Role':
        return (r.Properties!.Policies ?? []).map((p: { PolicyDocument: { Statement: Statement[] } }) => ({ kind: 'identity', document: p.PolicyDocument }));
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
        return [{ kind: 'resource', document: r.Properties!.PolicyDocument }];
      case 'AWS::KMS::Key':
        return [{ kind: 'resource', document: r.Properties!.KeyPolicy }];
      default:
        return [];
    }
  };
  return templates.flatMap(({ stack, resources }) =>
    Object.entries(resources).flatMap(([id, r]) =>
      documents(r).flatMap(({ kind, document }) => document.Statement.map((statement) => ({ where: `${stack}/${id}`, kind, statement }))),
    ),
  );
}

const actions = (s: Statement) => [s.Action ?? []].flat();
const resources = (s: Statement) => [s.Resource ?? []].flat();

/** `kms:*` for the account root: CDK's default key policy, which keeps a key manageable through IAM (without it a key can become unmanageable). */
const isKeyAdministration = (s: Statement) => JSON.stringify(s.Principal).includes(':root') && actions(s).join() === 'kms:*';

/** Actions with no resource-level permissions, the only ones allowed on Resource "*" (what the IAM5 `Resource::*` acknowledgements cover). */
const RESOURCE_WILDCARD_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'ses:SetActiveReceiptRuleSet',
]);

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged, in the root stack or any nested stack', () => {
    const report = new AwsSolutionsChecks().validateScope(synthesized.app);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`));
    expect(findings, findings.join('\n')).toEqual([]);
    // Every nested stack was walked, not just the root.
    expect(synthesized.stacks.length).toBeGreaterThan(10);
  });

  it('is really checking: an unencrypted, non-TLS bucket is reported', () => {
    const probe = new App();
    new Bucket(new Stack(probe, 'Probe'), 'Insecure');
    const rules = new AwsSolutionsChecks().validateScope(probe).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});

describe('IAM', () => {
  it('no identity policy allows a wildcard action', () => {
    const wildcards = statements()
      .filter(({ kind, statement }) => kind === 'identity' && statement.Effect === 'Allow' && actions(statement).some((a) => a.includes('*')))
      .map(({ where, statement }) => `${where}: ${actions(statement).join(', ')}`);
    expect(wildcards, wildcards.join('\n')).toEqual([]);
  });

  it("no resource policy allows a wildcard action, except the account's administration of its own KMS keys", () => {
    const wildcards = statements()
      .filter(({ kind, statement }) => kind === 'resource' && statement.Effect === 'Allow' && actions(statement).some((a) => a.includes('*')))
      .filter(({ statement }) => !isKeyAdministration(statement))
      .map(({ where, statement }) => `${where}: ${actions(statement).join(', ')}`);
    expect(wildcards, wildcards.join('\n')).toEqual([]);
  });

  it('Resource "*" only for actions that have no resource-level permissions', () => {
    const unscoped = statements()
      .filter(({ kind, statement }) => kind === 'identity' && statement.Effect === 'Allow' && resources(statement).includes('*'))
      .flatMap(({ where, statement }) => actions(statement).filter((a) => !RESOURCE_WILDCARD_ACTIONS.has(a)).map((a) => `${where}: ${a}`));
    expect(unscoped, unscoped.join('\n')).toEqual([]);
  });

  it('functions get no AWS managed policy (their roles write only to their own log group)', () => {
    const withManaged = templates.flatMap(({ stack, resources }) =>
      Object.entries(resources)
        .filter(([id, r]) => r.Type === 'AWS::IAM::Role' && !CDK_PROVIDER.test(id))
        .filter(([, r]) => JSON.stringify(r.Properties?.ManagedPolicyArns ?? []).includes(':iam::aws:policy/'))
        .map(([id]) => `${stack}/${id}`),
    );
    expect(withManaged, withManaged.join('\n')).toEqual([]);
  });
});


describe('encryption at rest and in transit', () => {
  const all = (type: string) => synthesized.resources(type).map(({ stack, id, ...r }) => ({ ...r, where: `${stack.name}/${id}` }));

  it('every topic is encrypted with a rotating key of ours and refuses plain HTTP publishers', () => {
    const topics = all('AWS::SNS::Topic');
    expect(topics.length).toBeGreaterThan(0);
    for (const topic of topics) expect(topic.Properties?.KmsMasterKeyId, topic.where).toBeDefined();
    for (const key of all('AWS::KMS::Key')) expect(key.Properties?.EnableKeyRotation, key.where).toBe(true);
    const topicPolicies = JSON.stringify(all('AWS::SNS::TopicPolicy'));
    expect(topicPolicies.match(/aws:SecureTransport/g)?.length).toBe(topics.length);
  });

  it('every bucket and queue is encrypted and TLS only', () => {
    for (const bucket of all('AWS::S3::Bucket')) expect(bucket.Properties?.BucketEncryption, bucket.where).toBeDefined();
    expect(JSON.stringify(all('AWS::S3::BucketPolicy')).match(/aws:SecureTransport/g)?.length).toBe(all('AWS::S3::Bucket').length);
    for (const queue of all('AWS::SQS::Queue')) expect(queue.Properties?.SqsManagedSseEnabled, queue.where).toBe(true);
    expect(JSON.stringify(all('AWS::SQS::QueuePolicy')).match(/aws:SecureTransport/g)?.length).toBe(all('AWS::SQS::Queue').length);
  });
});

/** A Mailroom stack synthesized without bundling (for the infra tests and the benchmark; CI runs one real `cdk synth`), with its nested stacks. */
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { MailroomStack, type MailroomStackProps } from '../../lib/mailroom-stack.js';
import { CDK_PROVIDER_IDS } from '../../lib/constructs/nag.js';

/** Logical ids of CDK's own deploy-time providers and their resources (lib/constructs/nag.ts), which are not app functions. */
export const CDK_PROVIDER = new RegExp(`^(${CDK_PROVIDER_IDS.join('|')})`);

export type Resource = { Type: string; Properties?: any; DeletionPolicy?: string };

export interface SynthesizedTemplate {
  /** The stack's construct path. */
  name: string;
  template: Template;
  /** How the parent stack passes each of this nested stack's parameters (undefined for the parent). */
  parameters?: Record<string, unknown>;
}

export function synthMailroom(props: Partial<MailroomStackProps> = {}, id = 'Test-prod') {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MailroomStack(app, id, {
    stage: 'prod',
    corsOrigins: ['https://app.example.com'],
    logRetention: RetentionDays.ONE_MONTH,
    auditRetentionDays: 90,
    version: '0.0.0-test',
    defaultSendingDomain: 'mail.example.com',
    sesSendRatePerSecond: 14,
    ...props,
  });
  const nested = stack.node.findAll().filter((c): c is NestedStack => NestedStack.isNestedStack(c));
  const stacks: Stack[] = [stack, ...nested];
  let synthesized: SynthesizedTemplate[] | undefined;
  /** Every stack's template, the parent first (synthesized on first use: the benchmark reads only the construct tree). */
  const templates = () => {
    if (synthesized) return synthesized;
    const parent = Template.fromStack(stack);
    synthesized = [
      { name: stack.node.path, template: parent },
      ...nested.map((n) => ({
        name: n.node.path,
        template: Template.fromStack(n),
        parameters: parent.toJSON().Resources[stack.getLogicalId(n.nestedStackResource!)].Properties.Parameters,
      })),
    ];
    return synthesized;
  };
  /** Every resource of `type` in any of the templates, with the template it is in and its logical id. */
  const resources = (type: string) =>
    templates().flatMap((t) => Object.entries(t.template.findResources(type) as Record<string, Resource>).map(([logicalId, r]) => ({ stack: t, id: logicalId, ...r })));
  return { app, stack, stacks, templates, resources };
}

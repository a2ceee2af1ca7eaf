/** A Mailroom stack synthesized without bundling (for the infra tests and the benchmark; CI runs one real `cdk synth`), with its nested stacks. */
import { App, NestedStack, type Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { MailroomStack, type MailroomStackProps } from '../../lib/mailroom-stack.js';

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
  const stacks: Stack[] = [stack, ...stack.node.findAll().filter((c): c is NestedStack => NestedStack.isNestedStack(c))];
  return { app, stack, stacks };
}

/**
 * CDK app entry. Context (cdk.json or -c): stage, corsOrigins, logRetentionDays, auditRetentionDays,
 * defaultSendingDomain, sesSendRatePerSecond, webhookAllowHttp, autoPause, alarmEmail.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseAutoPause } from '../lib/auto-pause.js';
import { MailroomStack } from '../lib/mailroom-stack.js';

const app = new App();
const context = (key: string) => app.node.tryGetContext(key);
const stage = String(context('stage') ?? 'prod');
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : String(value ?? '').split(',').map((s) => s.trim()).filter(Boolean));

new MailroomStack(app, `Mailroom-${stage}`, {
  stage,
  corsOrigins: list(context('corsOrigins')),
  logRetention: Number(context('logRetentionDays') ?? 30) as RetentionDays,
  auditRetentionDays: Number(context('auditRetentionDays') ?? 90),
  defaultSendingDomain: context('defaultSendingDomain') ? String(context('defaultSendingDomain')) : undefined,
  sesSendRatePerSecond: Number(context('sesSendRatePerSecond') ?? 14),
  webhookAllowHttp: String(context('webhookAllowHttp') ?? 'false') === 'true',
  autoPause: parseAutoPause(context('autoPause')),
  alarmEmail: context('alarmEmail') ? String(context('alarmEmail')) : undefined,
  version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

/**
 * Mailroom's custom CloudWatch metrics: the one list the functions emit from (functions/shared/metrics.ts,
 * as EMF) and the alarms and dashboard read (lib/constructs/monitoring.ts). Each is emitted in this namespace
 * with no dimensions, because that is the series the alarms and graphs read; renaming one here renames it on both sides.
 * The Emails* metrics count emails (graphed side by side); Deliveries, Bounces and Complaints count recipients, as SES does.
 */
export const METRICS_NAMESPACE = 'Mailroom';

export const METRIC_NAMES = [
  'EmailsAccepted',
  'EmailsSent',
  'EmailsFailed',
  'Deliveries',
  'Bounces',
  'Complaints',
  'InboundMessages',
  'WebhookAttempts',
  'WebhookFailures',
  'DlqMoves',
  'TeamsPaused',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

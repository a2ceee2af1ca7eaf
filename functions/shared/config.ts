/** Runtime configuration read once from the environment (set by CDK on AWS and by local/ offline). */
import { MAX_UPLOAD_URL_SECONDS } from '../schemas/storage-limits.js';
import { AUTO_PAUSE_ENV, DEFAULT_MIN_SENDS } from '../../lib/auto-pause-defaults.js';

/** Waits after webhook attempts 1–7: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about a day in all). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000] as const;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Missing required environment variable ${name}`);
  return value;
}

function intFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

export const config = {
  get tableName() {
    return required('TABLE_NAME');
  },
  /** The state machine that runs campaign enrolments (functions that start or stop enrolments). */
  get campaignStateMachineArn() {
    return required('CAMPAIGN_STATE_MACHINE_ARN');
  },
  get version() {
    return process.env.MAILROOM_VERSION ?? '0.0.0';
  },
  get auditRetentionDays() {
    return intFrom('AUDIT_RETENTION_DAYS', 90);
  },
  /**
   * A team's sending pauses itself when its bounce or complaint rate over the last 7 days passes these, once
   * it has sent `minSends` (lib/auto-pause.ts); null when the deployment turned it off (no variables).
   */
  get autoPause(): { bounceRate: number; complaintRate: number; minSends: number } | null {
    const bounceRate = Number(process.env[AUTO_PAUSE_ENV.bounceRate]);
    const complaintRate = Number(process.env[AUTO_PAUSE_ENV.complaintRate]);
    if (!(bounceRate > 0) || !(complaintRate > 0)) return null;
    return { bounceRate, complaintRate, minSends: intFrom(AUTO_PAUSE_ENV.minSends, DEFAULT_MIN_SENDS) };
  },
  /** Default fixed-window limits; a key or team can override them. */
  get rateLimits() {
    return {
      windowSeconds: intFrom('RATE_LIMIT_WINDOW_SECONDS', 60),
      perKey: intFrom('RATE_LIMIT_PER_KEY', 600),
      perTeam: intFrom('RATE_LIMIT_PER_TEAM', 3000),
    };
  },
  queueUrl(envVar: string) {
    return required(envVar);
  },
  /** S3 bucket for message payloads, attachments and raw MIME. */
  get mailBucket() {
    return required('MAIL_BUCKET');
  },
  /** SES configuration set every send uses: event publishing to the events queue, open/click tracking. */
  get sesConfigurationSet() {
    return required('SES_CONFIGURATION_SET');
  },
  /** Same configuration set without open/click tracking, for sends that opt out. */
  get sesConfigurationSetUntracked() {
    return required('SES_CONFIGURATION_SET_UNTRACKED');
  },
  /** The deployment's operator-verified domain any team may send from before it adds its own. */
  get defaultSendingDomain() {
    return process.env.DEFAULT_SENDING_DOMAIN?.toLowerCase() || undefined;
  },
  /** Emails per second SES allows this account (the sender paces itself to it). */
  get sesSendRatePerSecond() {
    return intFrom('SES_SEND_RATE_PER_SECOND', 14);
  },
  /** Public base URL of the API, for links in mail (one-click unsubscribe). */
  get publicApiUrl() {
    return required('PUBLIC_API_URL').replace(/\/$/, '');
  },
  /** How long the link in a list's double opt-in confirmation email works. */
  get listConfirmationTtlSeconds() {
    return intFrom('LIST_CONFIRMATION_TTL_SECONDS', 7 * 24 * 3600);
  },
  /** Default per-team send quotas in recipients; 0 here means unlimited. A team's own quota (set by the root key, 0 = none) wins. */
  get sendQuotas() {
    return { daily: intFrom('SEND_QUOTA_DAILY', 0), monthly: intFrom('SEND_QUOTA_MONTHLY', 0) };
  },
  get region() {
    return process.env.AWS_REGION ?? 'us-east-1';
  },
  /** Webhook delivery: waits after attempt 1, 2, … (the attempt count is one more than the list). */
  get webhookRetrySchedule(): number[] {
    const raw = process.env.WEBHOOK_RETRY_SCHEDULE_SECONDS;
    if (!raw) return [...DEFAULT_WEBHOOK_RETRY_SCHEDULE];
    const delays = raw.split(',').map(Number);
    if (delays.some((d) => !Number.isInteger(d) || d < 0 || d > 43_000)) throw new Error('WEBHOOK_RETRY_SCHEDULE_SECONDS must list whole seconds up to 43000');
    return delays;
  },
  /** S3 bucket for the teams' media storage (buckets and objects of the storage API). */
  get mediaBucket() {
    return required('MEDIA_BUCKET');
  },
  /** Base URL public objects are served from (CloudFront on AWS): <base>/<physical key>. */
  get mediaPublicUrl() {
    return required('MEDIA_PUBLIC_URL').replace(/\/$/, '');
  },
  /** Default storage quota per team in bytes; 0 = unlimited. */
  get storageQuotaBytes() {
    return intFrom('STORAGE_QUOTA_BYTES', 10 * 1024 ** 3);
  },
  /** How long upload links live at most: a force-deleted bucket is swept again after that (the tests shorten it). */
  get storageUploadUrlSeconds() {
    return intFrom('STORAGE_UPLOAD_URL_SECONDS', MAX_UPLOAD_URL_SECONDS);
  },
  get webhookTimeoutMs() {
    return intFrom('WEBHOOK_TIMEOUT_MS', 15_000);
  },
  /** An endpoint that has failed for this long without a success is disabled. */
  get webhookDisableAfterSeconds() {
    return intFrom('WEBHOOK_DISABLE_AFTER_SECONDS', 5 * 24 * 3600);
  },
  /** Contacts a segment count examines at most; beyond them the count is a lower bound (count_exact: false). */
  get segmentCountScanLimit() {
    return intFrom('SEGMENT_COUNT_SCAN_LIMIT', 10_000);
  },
  /** Last-touch attribution: a conversion is credited to the last email sent to the address within this many days. */
  get attributionWindowDays() {
    return intFrom('ATTRIBUTION_WINDOW_DAYS', 7);
  },
};

/** Where webhooks may point: HTTPS to public addresses, unless the deployment opts in (the local runtime does). */
export function webhookDestinationPolicy() {
  return {
    allowHttp: process.env.WEBHOOK_ALLOW_HTTP === 'true',
    allowPrivateNetworks: process.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'true',
  };
}

/**
 * The one logger: Powertools JSON lines. Credentials and message content never reach the logs, whatever a caller
 * passes: every attribute (at any depth) whose name says it holds one is replaced before the line is written, and
 * API keys and webhook secrets are masked inside any string (an error message that quotes one, say).
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const REDACTED = '[redacted]';

/** Attribute names (snake_case, lower case) whose values are never logged: alone or as the last word (`api_key`, `reply_text`). */
const SENSITIVE_NAMES = ['authorization', 'cookie', 'key', 'secret', 'secrets', 'password', 'token', 'html', 'text', 'body', 'content', 'raw'];
const SENSITIVE_NAME = new RegExp(`(^|_)(${SENSITIVE_NAMES.join('|')})$`);

/** Mailroom API keys (`mr_<id>_<secret>`, `mr_root_<secret>`), bearer credentials and webhook signing secrets. */
const SECRET_IN_TEXT = /\bmr_[0-9a-z]+_[A-Za-z0-9_-]{32,}|\bBearer\s+[A-Za-z0-9._~+/-]+=*|\bwhsec_[A-Za-z0-9+/=]+/g;

/** `apiKey`, `API-Key`, `api_key` → `api_key`. */
function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(snakeCase(name));
}

/** JSON.stringify replacer for every log line (it sees each key at every depth, array indexes as "0", "1", …). */
export function redact(name: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (name !== '' && isSensitiveName(name)) return REDACTED;
  if (typeof value === 'string') return value.replace(SECRET_IN_TEXT, REDACTED);
  return value;
}

export const logger = new Logger({ serviceName: 'mailroom', jsonReplacerFn: redact });

/** When to retry, and how long to wait: exponential backoff with jitter, or the server's `Retry-After` when it gives one. */
import type { MailroomError } from './errors.js';

const BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;
/** A longer `Retry-After` is not waited for: the error goes back to the caller (still `retryable`). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Whether a status may succeed later, for an error answer whose body does not say (`error.retryable`). */
export const isRetryableStatus = (status: number) => status === 429 || status >= 500;

/** Socket errors from before the connection opened: the request was never sent. */
const CONNECT_FAILURE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Whether a fetch failure happened before the request left: fetch rejects with a TypeError whose `cause` is the
 * socket error (Node), and a connection tried on several addresses fails with an AggregateError of each attempt.
 * Runtimes that give no cause (browsers) never qualify: the request may have been sent.
 */
export function isConnectFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && CONNECT_FAILURE_CODES.has(code)) return true;
  if (Array.isArray(errors) && errors.length > 0 && errors.every((each) => isConnectFailure(each, depth + 1))) return true;
  return isConnectFailure(cause, depth + 1);
}

/**
 * Whether the client sends a failed attempt again. A GET, PUT, PATCH or DELETE, or a POST the server deduplicates
 * by its Idempotency-Key (`replaySafe`), is repeated whenever the failure is retryable. Any other POST could act
 * twice, so it is repeated only when the server certainly did not act: a 429, or a connection that never opened —
 * never after a timeout, a connection lost mid-request or a 5xx.
 */
export function shouldRetry(error: MailroomError, replaySafe: boolean): boolean {
  if (!error.retryable) return false;
  return replaySafe || error.status === 429 || (error.status === 0 && isConnectFailure(error.cause));
}

/** Milliseconds before retry number `retry` (1 = the first retry): half fixed, half random, doubling each time. */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_DELAY_MS * 2 ** (retry - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

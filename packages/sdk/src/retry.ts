/** Retry timing: exponential backoff with jitter, or the server's `Retry-After` when it gives one. */

const BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;
/** A longer `Retry-After` is not waited for: the error goes back to the caller (still `retryable`). */
export const MAX_RETRY_AFTER_MS = 60_000;

export const isRetryableStatus = (status: number) => status === 429 || status >= 500;

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

/**
 * What the records of one queue batch share: reads made once per batch (memo) and writes summed over the batch
 * and made once when its records are done (collect). queueConsumer (consumer.ts) opens a scope per batch.
 *
 * Domain code finds the batch it runs in through currentBatch() rather than a parameter: the sums are taken deep
 * in code that HTTP routes and the campaign step share with the workers (countClaimed, publishEvents), and
 * threading a scope through every caller in between would put a queue concept in all their signatures. Outside a
 * batch there is none, and the caller writes at once. Kept out of consumer.ts so that domain code importing it
 * does not bundle the batch processor into the HTTP functions.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { logger } from '../logger.js';

export interface BatchScope {
  /** `load`'s result, loaded once per batch for `key`. */
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
  /**
   * The batch's accumulator for `key` (`start` makes it on first use); `flush` writes it once the batch's records
   * are done, whether they succeeded or not. A flush handles its own failures: the records are not failed for it.
   */
  collect<T>(key: string, start: () => T, flush: (collected: T) => Promise<void>): T;
}

interface OpenBatch extends BatchScope {
  /** Runs every collect's flush; never throws. */
  flush(): Promise<void>;
}

const currentScope = new AsyncLocalStorage<BatchScope>();

/** The queue batch this code runs in, if any. */
export const currentBatch = (): BatchScope | undefined => currentScope.getStore();

export function openBatch(): OpenBatch {
  const loads = new Map<string, Promise<unknown>>();
  const collected = new Map<string, { value: unknown; flush: (value: unknown) => Promise<void> }>();
  return {
    memo<T>(key: string, load: () => Promise<T>) {
      if (!loads.has(key)) {
        // A failed load is not kept: the batch's next record for the same key tries again.
        const loading = load();
        loads.set(key, loading);
        loading.catch(() => loads.get(key) === loading && loads.delete(key));
      }
      return loads.get(key) as Promise<T>;
    },
    collect<T>(key: string, start: () => T, flush: (value: T) => Promise<void>) {
      if (!collected.has(key)) collected.set(key, { value: start(), flush: flush as (value: unknown) => Promise<void> });
      return collected.get(key)!.value as T;
    },
    async flush() {
      const pending = [...collected];
      collected.clear();
      await Promise.all(
        pending.map(([key, { value, flush }]) => flush(value).catch((error) => logger.error('batch flush failed', { collect: key, error: error as Error }))),
      );
    },
  };
}

/** Runs `work` with `batch` as the current batch (what currentBatch() returns inside it). */
export const inBatch = <T>(batch: BatchScope, work: () => Promise<T>): Promise<T> => currentScope.run(batch, work);

/**
 * The functions' log lines while a test runs in-process: DEBUG and up, captured from stdout/stderr (structured
 * lines swallowed, anything else passed through). Call inside beforeAll; restore in afterAll.
 */
import { vi } from 'vitest';
import { logger } from '../../functions/shared/logger.js';

export function captureLogs(): { captured: string[]; restore(): void } {
  const captured: string[] = [];
  const originalStdout = process.stdout.write;
  const originalStderr = process.stderr.write;
  const originalLevel = logger.getLevelName();
  // Powertools' injectLambdaContext puts the level back to the initial one (SILENT in tests) on every warm
  // invocation; hold DEBUG for this test by skipping that refresh while it runs.
  const refresh = vi.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);
  logger.setLogLevel('DEBUG');
  const capture = (original: typeof process.stdout.write) =>
    function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      if (typeof chunk === 'string' && chunk.startsWith('{"level"')) return true;
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
  process.stdout.write = capture(originalStdout);
  process.stderr.write = capture(originalStderr);
  return {
    captured,
    restore() {
      process.stdout.write = originalStdout;
      process.stderr.write = originalStderr;
      refresh.mockRestore();
      logger.setLogLevel(originalLevel);
    },
  };
}

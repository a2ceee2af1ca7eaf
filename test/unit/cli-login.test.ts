/** `mailroom login` reads the key from stdin: at a terminal it is never echoed; from a pipe it is the first line. */
import { PassThrough, Readable } from 'node:stream';
import { expect, it, vi } from 'vitest';
import { readKeyFromStdin } from '../../packages/cli/src/commands/login.js';

/** A terminal's stdin: readline switches it to raw mode and reads keys from it. */
function fakeTerminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: vi.fn((raw: boolean) => void (stdin.isRaw = raw)) });
  let shown = '';
  return { stdin, stderr: { write: (text: string) => (shown += text) }, shown: () => shown };
}

it('at a terminal the typed key is read in raw mode and never echoed; backspace edits it', async () => {
  const terminal = fakeTerminal();
  const key = readKeyFromStdin(terminal);
  terminal.stdin.write('mr_secreX\u007ft\r');
  await expect(key).resolves.toBe('mr_secret');
  expect(terminal.shown()).toBe('API key (not shown): \n');
  expect(terminal.stdin.setRawMode.mock.calls).toEqual([[true], [false]]);
});

it('at a terminal Ctrl-C cancels the login and Ctrl-D gives no key', async () => {
  const interrupted = fakeTerminal();
  const cancelled = readKeyFromStdin(interrupted);
  interrupted.stdin.write('mr_se\u0003');
  await expect(cancelled).rejects.toMatchObject({ code: 'cancelled' });
  expect(interrupted.shown()).not.toContain('mr_se');
  expect(interrupted.stdin.isRaw).toBe(false);

  const ended = fakeTerminal();
  const none = readKeyFromStdin(ended);
  ended.stdin.write('\u0004');
  await expect(none).resolves.toBeUndefined();
});

it('from a pipe the key is the first non-blank line, and nothing is prompted', async () => {
  let shown = '';
  const key = await readKeyFromStdin({ stdin: Readable.from(['\n  mr_piped  \nsecond line\n']), stderr: { write: (text: string) => (shown += text) } });
  expect(key).toBe('mr_piped');
  expect(shown).toBe('');
});

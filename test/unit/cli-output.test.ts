/** The CLI's human output never passes a terminal control character through; --json stays the exact value. */
import { describe, expect, it } from 'vitest';
import { createOutput, jsonText, oneLine, terminalSafe } from '../../packages/cli/src/output.js';

/** A subject as an attacker might write it: colours, a window title (OSC … BEL), a C1 CSI that clears the screen, DEL, a CR that rewrites the line. */
const HOSTILE = 'Invoice \u001b[31mPAID\u001b[0m\u001b]0;owned\u0007 \u009b2J\u007f\rfake line\nsecond\tcolumn\u0000';

/** Control characters other than the tabs and line breaks a message body may keep. */
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function capture(json: boolean) {
  const printed = { stdout: '', stderr: '' };
  const out = createOutput(json, { stdout: { write: (text: string) => (printed.stdout += text) }, stderr: { write: (text: string) => (printed.stderr += text) } });
  return { out, printed };
}

describe('terminal-safe text', () => {
  it('terminalSafe drops C0 and C1 controls and DEL, keeps line breaks and tabs, turns CRLF into a line break', () => {
    expect(terminalSafe(HOSTILE)).toBe('Invoice [31mPAID[0m]0;owned 2Jfake line\nsecond\tcolumn');
    expect(terminalSafe('a\r\nb')).toBe('a\nb');
  });

  it('oneLine also folds line breaks and tabs into single spaces', () => {
    expect(oneLine(HOSTILE)).toBe('Invoice [31mPAID[0m]0;owned 2J fake line second column');
  });

  it('tables, fields, lines and notes print API text without control characters, a cell or field on one line', () => {
    const { out, printed } = capture(false);
    out.table([{ subject: HOSTILE }], [{ header: 'SUBJECT', value: (row) => row.subject, max: 200 }]);
    out.fields([['Subject', HOSTILE]]);
    out.line(HOSTILE);
    out.note(HOSTILE);
    expect(printed.stdout).not.toMatch(CONTROL_BUT_LAYOUT);
    expect(printed.stderr).not.toMatch(CONTROL_BUT_LAYOUT);
    const lines = printed.stdout.split('\n');
    expect(lines[1]).toBe(oneLine(HOSTILE));
    expect(lines[2]).toBe(`Subject:  ${oneLine(HOSTILE)}`);
    // A message body keeps its lines.
    expect(lines.slice(3, 5)).toEqual(['Invoice [31mPAID[0m]0;owned 2Jfake line', 'second\tcolumn']);
  });
});

describe('--json', () => {
  const value = { subject: HOSTILE, nested: [{ from: 'A \u0085 B\u009d' }] };

  it('prints the exact value as JSON, with DEL and the C1 controls (which JSON.stringify leaves raw) escaped too', () => {
    const pretty = capture(true);
    pretty.out.result(value, () => expect.unreachable('no human output with --json'));
    const compact = capture(true);
    compact.out.jsonLine(value);
    expect(JSON.parse(pretty.printed.stdout)).toEqual(value);
    expect(compact.printed.stdout).toBe(`${jsonText(value)}\n`);
    expect(JSON.parse(compact.printed.stdout)).toEqual(value);
    for (const { printed } of [pretty, compact]) expect(printed.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(compact.printed.stdout).toContain('\\u001b[31m');
    expect(compact.printed.stdout).toContain('\\u009b2J');
    expect(compact.printed.stdout).toContain('\\u007f');
  });
});

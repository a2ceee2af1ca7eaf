/**
 * Printing: raw JSON with --json, otherwise compact tables and `label: value` blocks. Human output shows what
 * strangers wrote (received subjects, senders, bodies), so every human path goes through terminalSafe: a raw
 * ESC, CSI or BEL in a subject could otherwise recolour, retitle or rewrite the user's terminal.
 */

export interface Sink {
  write(text: string): unknown;
}

/** What a run of the CLI talks to: the process's streams and environment, or a test's. */
export interface Io {
  stdout: Sink;
  stderr: Sink;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface Output {
  /** True when --json was given. */
  readonly json: boolean;
  /** With --json prints `value` as JSON; otherwise runs `human`. */
  result(value: unknown, human: () => void): void;
  /** One JSON value on one line (tail --json). */
  jsonLine(value: unknown): void;
  /** Text, made terminal-safe: line breaks and tabs stay, other control characters go. */
  line(text?: string): void;
  /** Notes that are not the result (hints, warnings): stderr, so piped output stays clean. */
  note(text: string): void;
  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty?: string): void;
  /** Values are shown on one line each. */
  fields(pairs: ReadonlyArray<readonly [label: string, value: string | null | undefined]>): void;
}

export interface Column<T> {
  header: string;
  value(row: T): string | null | undefined;
  /** Longer values are cut with an ellipsis. */
  max?: number;
}

const DEFAULT_MAX_CELL = 48;

export function createOutput(json: boolean, { stdout, stderr }: Pick<Io, 'stdout' | 'stderr'>): Output {
  const line = (text = '') => void stdout.write(`${terminalSafe(text)}\n`);
  return {
    json,
    result(value, human) {
      if (json) stdout.write(`${jsonText(value, 2)}\n`);
      else human();
    },
    jsonLine: (value) => void stdout.write(`${jsonText(value)}\n`),
    line,
    note: (text) => void stderr.write(`${terminalSafe(text)}\n`),
    table(rows, columns, empty = '(none)') {
      if (rows.length === 0) return line(empty);
      const cells = rows.map((row) => columns.map((column) => cut(oneLine(column.value(row) ?? ''), column.max ?? DEFAULT_MAX_CELL)));
      const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((row) => row[i]!.length)));
      const format = (values: string[]) => values.map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]!))).join('  ').trimEnd();
      line(format(columns.map((column) => column.header)));
      for (const row of cells) line(format(row));
    },
    fields(pairs) {
      const shown = pairs.filter(([, value]) => value !== null && value !== undefined && value !== '');
      const width = Math.max(0, ...shown.map(([label]) => label.length + 1));
      for (const [label, value] of shown) line(`${`${label}:`.padEnd(width)}  ${oneLine(value!)}`);
    },
  };
}

/** C0 and C1 controls (ESC, CSI U+009B, BEL, …) and DEL: without them no escape sequence can start. */
const CONTROL = /\p{Cc}/gu;

/**
 * Text as a terminal can show it without obeying it: CRLF becomes a line break; line breaks and tabs stay;
 * every other control character is dropped (what followed an ESC is left as inert text).
 */
export const terminalSafe = (text: string) => text.replace(/\r\n/g, '\n').replace(CONTROL, (char) => (char === '\n' || char === '\t' ? char : ''));

/** Text for one line (a cell, a field, a tail event): whitespace runs become one space, controls are dropped. */
export const oneLine = (text: string) => text.replace(/\s+/g, ' ').replace(CONTROL, '').trim();

/**
 * JSON as JSON.stringify writes it, with DEL and the C1 controls (which it leaves raw, and some terminals obey
 * as CSI and the like) written as \u escapes: the same value for any JSON parser, safe on a terminal.
 */
export const jsonText = (value: unknown, indent?: number) =>
  JSON.stringify(value, null, indent).replace(/[\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** `2026-03-01T09:30:12.345Z` → `2026-03-01 09:30:12Z`: readable, still unambiguous. */
export const when = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+(?=Z$)/, '') : iso);

export const list = (values: readonly string[] | null | undefined) => (values && values.length > 0 ? values.join(', ') : undefined);

/** Lists show one page; the hint (on stderr) says how to get the next one. */
export function printNextPage(out: Output, nextCursor: string | null) {
  if (nextCursor) out.note(`More: repeat with --cursor ${nextCursor}`);
}

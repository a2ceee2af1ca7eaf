/**
 * The `mailroom` CLI against the local stack. A user's run is a process: the CLI is bundled once (esbuild, the
 * SDK from source) and run as `node` for login (key on stdin, config file) and the exit code of a failure, with
 * only PATH and a temporary MAILROOM_CONFIG in its environment. The other commands run in-process through the
 * same main() with their own streams and environment, which keeps this file fast.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { build } from 'esbuild';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../packages/cli/src/main.js';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectEventually } from '../support/http.js';
import { uniqueUsername } from './route-cases/inboxes.js';

let stack: LocalStack;
let adminKey: string;
let teamSlug: string;
let workDir: string;
let cliPath: string;
let configFile: string;

const FROM = 'CLI Tests <hello@mailroom.test>';
const SUCCESS = 'success@simulator.amazonses.com';
const run = Date.now().toString(36);

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `mailroom …` as a process, to completion. Only PATH and the temporary config reach it, plus `env`. */
function spawnMailroom(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH!, HOME: workDir, MAILROOM_CONFIG: configFile, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `mailroom …` in-process: the key and URL come from the environment (the team admin key unless `env` says
 * otherwise), never from a saved login unless `env` points MAILROOM_CONFIG at one.
 */
async function mailroom(
  args: string[],
  options: { env?: Record<string, string>; signal?: AbortSignal; onStdout?: (text: string) => void; onStderr?: (text: string) => void } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    args,
    {
      stdout: { write: (text: string) => ((stdout += text), options.onStdout?.(text)) },
      stderr: { write: (text: string) => ((stderr += text), options.onStderr?.(text)) },
      stdin: Readable.from([]),
      env: options.env ?? keyEnv(adminKey),
    },
    options.signal ?? new AbortController().signal,
  );
  return { code, stdout, stderr };
}

/** An environment with this key and the stack's URL (and a config file that does not exist). */
const keyEnv = (key: string) => ({ MAILROOM_API_KEY: key, MAILROOM_BASE_URL: stack.url, MAILROOM_CONFIG: join(workDir, 'none.json') });

/** Runs a command that must succeed and returns its stdout (a failure shows stderr). */
async function ok(args: string[], options?: Parameters<typeof mailroom>[1]): Promise<string> {
  const result = await mailroom(args, options);
  expect(result.code, `mailroom ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

const json = async (args: string[], options?: Parameters<typeof mailroom>[1]) => JSON.parse(await ok([...args, '--json'], options));
const smtp = () => nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: false, ignoreTLS: true });

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'mailroom-cli-'));
  configFile = join(workDir, 'config', 'mailroom.json');
  cliPath = join(workDir, 'mailroom.mjs');
  const [started] = await Promise.all([
    startLocalStack(),
    build({
      entryPoints: ['packages/cli/src/cli.ts'],
      outfile: cliPath,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['mailroom-source'],
      logLevel: 'error',
    }),
  ]);
  stack = started;
  const created = await createTeam(stack, 'cli');
  adminKey = created.adminKey;
  teamSlug = created.team.slug;
});

afterAll(async () => {
  await stack?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe.concurrent('mailroom CLI', () => {
  it('login checks the key read from stdin and saves it with the URL, owner-only; later commands use it', async () => {
    const login = await spawnMailroom(['login', '--base-url', stack.url], { input: `${adminKey}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`team ${teamSlug}`);
    expect(login.stdout).toContain(stack.url);
    expect(JSON.parse(await readFile(configFile, 'utf8'))).toEqual({ baseUrl: stack.url, apiKey: adminKey });
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    expect(await json(['inboxes', 'list'], { env: { MAILROOM_CONFIG: configFile } })).toEqual({ data: expect.any(Array), next_cursor: null });
  });

  it('send queues an email and emails get shows its delivery timeline', async () => {
    const subject = `CLI send ${run}`;
    const sent = await json(['send', '--from', FROM, '--to', SUCCESS, '--cc', 'cc@example.com', '--subject', subject, '--text', 'Hello from the CLI']);
    expect(sent).toMatchObject({ id: expect.stringMatching(/^em_/), status: 'queued', subject, to: [SUCCESS], cc: ['cc@example.com'] });
    await expectEventually(async () => expect((await call(stack.url, 'GET', `/v1/emails/${sent.id}`, { key: adminKey })).body.status).toBe('delivered'), 20_000, 300);

    const shown = await ok(['emails', 'get', sent.id]);
    expect(shown).toMatch(/^Status:\s+delivered$/m);
    expect(shown).toMatch(new RegExp(`^Subject:\\s+${subject}$`, 'm'));
    for (const event of ['queued', 'sent', 'delivered']) expect(shown).toMatch(new RegExp(`^\\S+ \\S+\\s+${event}\\b`, 'm'));

    const listed = await ok(['emails', 'list', '--status', 'delivered', '--limit', '5']);
    expect(listed).toMatch(/^ID\s+STATUS\s+TO\s+SUBJECT\s+CREATED$/m);
    expect(listed).toContain(sent.id);
  });

  it('inboxes: create, receive over SMTP, list messages, read one and reply in its thread', async () => {
    const inbox = await json(['inboxes', 'create', uniqueUsername('cli')]);
    expect(inbox.api_key.key).toMatch(/^mr_/);
    const subject = `CLI inbound ${run}`;
    await smtp().sendMail({ from: 'Ann <ann@example.com>', to: inbox.address, subject, text: 'Is this thing on?' });
    const listed = await expectEventually(async () => {
      const out = await ok(['inboxes', 'messages', inbox.id]);
      expect(out).toContain(subject);
      return out;
    }, 20_000, 300);
    expect(listed).toContain('ann@example.com');
    const messageId = /\b(msg_\w+)/.exec(listed)![1]!;

    const read = await ok(['inboxes', 'read', inbox.id, messageId]);
    expect(read).toMatch(new RegExp(`^Subject:\\s+${subject}$`, 'm'));
    expect(read).toContain('Is this thing on?');

    const reply = await json(['inboxes', 'reply', inbox.id, messageId, '--text', 'Loud and clear.']);
    expect(reply).toMatchObject({ direction: 'outbound', to: ['"Ann" <ann@example.com>'], in_reply_to: expect.any(String), email: { status: 'queued' } });
    expect(await ok(['inboxes', 'get', inbox.id])).toMatch(new RegExp(`^Address:\\s+${inbox.address}$`, 'm'));
  });

  it('received mail with terminal escapes in its sender, subject and body is shown without them; --json keeps them', async () => {
    const inbox = await json(['inboxes', 'create', uniqueUsername('cli-esc')]);
    const subject = `Escapes ${run} \u001b[2J\u001b]0;owned\u0007 \u009b31m`;
    await smtp().sendMail({ from: '"Eve \u001b[5m" <eve@example.com>', to: inbox.address, subject, text: 'line one\u001b[31m\r\nline two\u0007\n' });
    const { data } = await expectEventually(async () => {
      const page = await json(['inboxes', 'messages', inbox.id]);
      expect(page.data).toHaveLength(1);
      return page;
    }, 20_000, 300);
    expect(data[0].subject).toBe(subject);

    const listed = await ok(['inboxes', 'messages', inbox.id]);
    const read = await ok(['inboxes', 'read', inbox.id, data[0].id]);
    for (const shown of [listed, read]) expect(shown).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(read).toMatch(new RegExp(`^Subject:\\s+Escapes ${run} \\[2J\\]0;owned 31m$`, 'm'));
    expect(read).toContain('line one[31m\nline two\n');
    const raw = await ok(['inboxes', 'read', inbox.id, data[0].id, '--json']);
    expect(raw).toContain('\\u001b[2J');
    expect(JSON.parse(raw).subject).toBe(subject);
  });

  it('tail prints the events of an email sent after it started, and of mail received, one line each, until stopped', async () => {
    // A team of its own, so nothing else sends while tail watches.
    const { adminKey: tailKey } = await createTeam(stack, 'cli-tail');
    const created = await call(stack.url, 'POST', '/v1/inboxes', { key: tailKey, body: { username: uniqueUsername('tail') } });
    expect(created.status).toBe(201);

    // Stopped like Ctrl-C once it has shown what this test waits for; --duration only bounds a failing run.
    const ctrlC = new AbortController();
    const wanted = ['email.queued', 'email.sent', 'message.received'];
    let watching!: () => void;
    const started = new Promise<void>((resolve) => (watching = resolve));
    let printed = '';
    const tail = mailroom(['tail', '--interval', '0.5', '--duration', '25', '--json'], {
      env: keyEnv(tailKey),
      signal: ctrlC.signal,
      onStderr: (text) => text.includes('Watching') && watching(),
      onStdout: (text) => {
        printed += text;
        if (wanted.every((type) => printed.includes(`"type":"${type}"`))) ctrlC.abort();
      },
    });
    await Promise.race([started, tail.then((result) => Promise.reject(new Error(`tail ended: ${result.stderr}`)))]);

    const subject = `CLI tail ${run}`;
    const sent = await call(stack.url, 'POST', '/v1/emails', { key: tailKey, body: { from: FROM, to: SUCCESS, subject, text: 'Tail me' } });
    expect(sent.status).toBe(202);
    await smtp().sendMail({ from: 'bob@example.com', to: created.body.address, subject: `Inbound ${subject}`, text: 'Hi' });

    const result = await tail;
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(wanted));
    expect(events.filter((e) => e.type.startsWith('email.')).every((e) => e.id === sent.body.id)).toBe(true);
    expect(events.find((e) => e.type === 'message.received').summary).toContain(`Inbound ${subject}`);
  });

  it('keys create prints a new key once, with a warning, and the key works', async () => {
    const created = await mailroom(['keys', 'create', '--name', 'cli-ci', '--scope', 'send', '--scope', 'read']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/not shown again/);
    expect(created.stdout).toMatch(/^Scopes:\s+send, read$/m);
    const key = /^Key:\s+(mr_\S+)$/m.exec(created.stdout)![1]!;
    const me = await call(stack.url, 'GET', '/v1/me', { key });
    expect(me.body).toMatchObject({ kind: 'team', key_name: 'cli-ci', scopes: ['send', 'read'] });
    expect(await json(['emails', 'list', '--limit', '1'], { env: keyEnv(key) })).toMatchObject({ data: expect.any(Array) });
  });

  it('a bad key exits 1 with the error envelope’s code, message and request id', async () => {
    const badKey = 'mr_test_not_a_real_key_000000000000';
    const envelope = await call(stack.url, 'GET', '/v1/emails', { key: badKey });
    expect(envelope.status).toBe(401);
    expect(envelope.body.error.code).toBe('authentication_required');
    const result = await spawnMailroom(['emails', 'list'], { env: { MAILROOM_API_KEY: badKey, MAILROOM_BASE_URL: stack.url } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toMatch(new RegExp(`^error ${envelope.body.error.code}: ${escape(envelope.body.error.message)} \\(request req_[0-9a-z]{26}\\)$`));
  });

  it('usage mistakes exit 1 and point at the help; --help exits 0', async () => {
    const unknown = await mailroom(['emails', 'lsit']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error usage: Unknown command "emails lsit"/);
    const missing = await mailroom(['inboxes', 'read', 'ib_1']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error usage: Missing <message_id>\.\nSee: mailroom inboxes read --help/) });
    const invalid = await mailroom(['send', '--from', FROM, '--to', 'not-an-address', '--subject', 'Hi', '--text', 'x']);
    expect(invalid).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error validation_error: .+ \(request req_\w+\)\n  to(\.0)?: Must be an email address/) });
    expect(await ok(['emails', 'list', '--help'])).toMatch(/--status VALUE\s+.*One of: scheduled, queued/);
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

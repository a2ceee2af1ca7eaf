/** `mailroom login` saves the key so no one else can read it at any moment: owner-only file, written aside and renamed. */
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { saveLogin } from '../../packages/cli/src/config.js';

const LOGIN = { baseUrl: 'http://127.0.0.1:8787', apiKey: 'mr_test_secret' };
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

let workDir: string;
beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'mailroom-cli-config-'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(workDir, { recursive: true, force: true });
});

it.skipIf(process.platform === 'win32')('replaces an existing 0644 config with a 0600 one: the key never enters the 0644 file', async () => {
  const path = join(workDir, 'config.json');
  await writeFile(path, '{"baseUrl":"http://old"}\n');
  await chmod(path, 0o644);
  const before = await open(path, 'r');
  try {
    expect(await saveLogin({ MAILROOM_CONFIG: path }, LOGIN)).toBe(path);
    expect(await modeOf(path)).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(LOGIN);
    // The file that was 0644 still holds only what it held: the key went into another file, renamed over it.
    expect((await before.stat()).mode & 0o777).toBe(0o644);
    expect(await before.readFile('utf8')).toBe('{"baseUrl":"http://old"}\n');
  } finally {
    await before.close();
  }
  expect(await readdir(workDir)).toEqual(['config.json']);
});

it.skipIf(process.platform === 'win32')('creates a missing directory 0700 and tightens the default one, not a shared one named by MAILROOM_CONFIG', async () => {
  const created = join(workDir, 'new', 'mailroom.json');
  await saveLogin({ MAILROOM_CONFIG: created }, LOGIN);
  expect(await modeOf(join(workDir, 'new'))).toBe(0o700);
  expect(await modeOf(created)).toBe(0o600);

  const shared = join(workDir, 'project');
  await mkdir(shared, { mode: 0o755 });
  await chmod(shared, 0o755);
  await saveLogin({ MAILROOM_CONFIG: join(shared, 'mailroom.json') }, LOGIN);
  expect(await modeOf(shared)).toBe(0o755);

  const home = join(workDir, 'home');
  await mkdir(join(home, '.config', 'mailroom'), { recursive: true });
  await chmod(join(home, '.config', 'mailroom'), 0o755);
  vi.stubEnv('HOME', home);
  const saved = await saveLogin({}, LOGIN);
  expect(saved).toBe(join(home, '.config', 'mailroom', 'config.json'));
  expect(await modeOf(join(home, '.config', 'mailroom'))).toBe(0o700);
  expect(await modeOf(saved)).toBe(0o600);
});

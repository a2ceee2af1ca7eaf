/**
 * Where the CLI connects: flags win over MAILROOM_API_KEY / MAILROOM_BASE_URL, which win over the login
 * saved in $MAILROOM_CONFIG (default ~/.config/mailroom/config.json). The file holds a key (see saveLogin).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** `npm run dev` serves the API here. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';

export interface SavedLogin {
  baseUrl: string;
  apiKey: string;
}

export interface Connection {
  baseUrl: string;
  apiKey: string | undefined;
}

/** Failures the CLI reports itself (no API answer): printed as `error <code>: <message>`. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const configPath = (env: NodeJS.ProcessEnv) => env.MAILROOM_CONFIG || join(homedir(), '.config', 'mailroom', 'config.json');

export async function readSavedLogin(env: NodeJS.ProcessEnv): Promise<Partial<SavedLogin>> {
  const path = configPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const saved = JSON.parse(text) as Record<string, unknown>;
    return {
      ...(typeof saved.baseUrl === 'string' && { baseUrl: saved.baseUrl }),
      ...(typeof saved.apiKey === 'string' && { apiKey: saved.apiKey }),
    };
  } catch {
    throw new CliError('invalid_config', `${path} is not valid JSON: run \`mailroom login\` again or delete it.`);
  }
}

/**
 * Saves the login so that the key is never readable by others, not even for a moment: it is written to a new
 * owner-only (0600) file beside the config, then renamed over it (an existing 0644 config is replaced, never
 * written into). The default directory is Mailroom's own and kept owner-only (0700); a directory named by
 * MAILROOM_CONFIG may be shared (a project, /tmp), so only one this creates is made 0700.
 */
export async function saveLogin(env: NodeJS.ProcessEnv, login: SavedLogin): Promise<string> {
  const path = configPath(env);
  const directory = dirname(path);
  const created = await mkdir(directory, { recursive: true, mode: 0o700 });
  if (created === undefined && !env.MAILROOM_CONFIG) await tightenOwnDirectory(directory);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(login, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return path;
}

/** chmod 0700 when the directory is the user's and more open than that (another user's is left alone). */
async function tightenOwnDirectory(directory: string) {
  const { uid, mode } = await stat(directory);
  if (uid === process.getuid?.() && (mode & 0o077) !== 0) await chmod(directory, 0o700);
}

export async function resolveConnection(env: NodeJS.ProcessEnv, flags: { key?: string; 'base-url'?: string }): Promise<Connection> {
  const saved = await readSavedLogin(env);
  return {
    baseUrl: flags['base-url'] || env.MAILROOM_BASE_URL || saved.baseUrl || DEFAULT_BASE_URL,
    apiKey: flags.key || env.MAILROOM_API_KEY || saved.apiKey,
  };
}

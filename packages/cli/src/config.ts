/**
 * Where the CLI connects: flags win over MAILROOM_API_KEY / MAILROOM_BASE_URL, which win over the login
 * saved in $MAILROOM_CONFIG (default ~/.config/mailroom/config.json). The file holds a key, so it is
 * written owner-only (0600) in an owner-only directory.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

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

export async function saveLogin(env: NodeJS.ProcessEnv, login: SavedLogin): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file: tighten one that was already there.
  await chmod(path, 0o600);
  return path;
}

export async function resolveConnection(env: NodeJS.ProcessEnv, flags: { key?: string; 'base-url'?: string }): Promise<Connection> {
  const saved = await readSavedLogin(env);
  return {
    baseUrl: flags['base-url'] || env.MAILROOM_BASE_URL || saved.baseUrl || DEFAULT_BASE_URL,
    apiKey: flags.key || env.MAILROOM_API_KEY || saved.apiKey,
  };
}

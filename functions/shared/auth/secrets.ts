/**
 * The pepper and the root key. On AWS they live in Secrets Manager (ARNs in env, read once per container
 * and cached); the local runtime passes them as environment variables instead.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManager } from '../clients.js';

const CACHE_MS = 5 * 60 * 1000;
const cache = new Map<string, { value: string; at: number }>();

async function readSecret(arnVar: string, localVar: string, jsonField?: string): Promise<string> {
  const local = process.env[localVar];
  if (local) return local;
  const arn = process.env[arnVar];
  if (!arn) throw new Error(`Neither ${arnVar} nor ${localVar} is configured`);
  const cached = cache.get(arn);
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
  const result = await secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  const raw = result.SecretString ?? '';
  const value = jsonField ? String(JSON.parse(raw)[jsonField] ?? '') : raw;
  if (!value) throw new Error(`Secret ${arnVar} is empty`);
  cache.set(arn, { value, at: Date.now() });
  return value;
}

export const getPepper = () => readSecret('PEPPER_SECRET_ARN', 'MAILROOM_PEPPER');

/** The root key secret holds `{ "secret": "<random>" }`; the key a person uses is `mr_root_<random>`. */
export async function getRootKey(): Promise<string> {
  const local = process.env.MAILROOM_ROOT_KEY;
  if (local) return local;
  return `mr_root_${await readSecret('ROOT_KEY_SECRET_ARN', 'MAILROOM_ROOT_KEY', 'secret')}`;
}

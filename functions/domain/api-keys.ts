/** Minting a key: the token is returned to the caller once; only its HMAC reaches the table. */
import { getPepper } from '../shared/auth/secrets.js';
import { generateToken, hashToken, tokenHint } from '../shared/auth/api-key-token.js';
import { newId } from '../shared/ids.js';
import type { NewApiKey } from '../repositories/api-keys.js';

export async function mintApiKey(input: Omit<NewApiKey, 'id' | 'token_hint' | 'secret_hash'>): Promise<{ record: NewApiKey; token: string }> {
  const id = newId('apiKey');
  const token = generateToken(id);
  const record: NewApiKey = { ...input, id, token_hint: tokenHint(token), secret_hash: hashToken(token, await getPepper()) };
  return { record, token };
}

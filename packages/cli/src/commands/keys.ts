import type { OperationBody } from '@mailroom/sdk';
import { defineCommand } from '../command.js';
import { list } from '../output.js';

export const keysCreate = defineCommand({
  path: ['keys', 'create'],
  summary: 'Create an API key for the team (needs an admin key) and print it once.',
  details: 'Scopes: read, write (implies read), send, admin (implies all). Default: read, write and send.',
  flags: {
    name: { type: 'string', arg: 'NAME', help: 'What the key is for, e.g. "ci".' },
    scope: { type: 'string', multiple: true, arg: 'SCOPE', help: 'A scope the key holds.' },
  },
  async run({ flags, client, out, signal }) {
    // Missing or unknown values are the API's to refuse: it names the field and the allowed scopes.
    const body = { name: flags.name!, ...(flags.scope && { scopes: flags.scope }) } as OperationBody<'api-keys.create'>;
    const key = await client().apiKeys.create(body, { signal });
    out.result(key, () =>
      out.fields([
        ['ID', key.id],
        ['Name', key.name],
        ['Scopes', list(key.scopes)],
        ['Key', key.key],
      ]),
    );
    out.note('Store the key now: it is not shown again.');
  },
});

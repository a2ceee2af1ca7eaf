/**
 * Reads and plain puts asked for in the same burst of work go to DynamoDB Local as one call (functions/repositories/
 * table.ts), yet every caller gets exactly its own answer: its own items, its own error.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dynamodb } from '../../functions/shared/clients.js';
import { batchGetAll, getItem, putItem } from '../../functions/repositories/table.js';
import { newId } from '../../functions/shared/ids.js';

type Add = (middleware: unknown, options: { step: string; name: string }) => void;

let commands: string[] = [];
beforeEach(() => {
  commands = [];
  (dynamodb.middlewareStack as { add: Add }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => {
      commands.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'count-commands' },
  );
});
afterEach(() => {
  dynamodb.middlewareStack.remove('count-commands');
});

const partition = () => `TEST#${newId('email')}`;

describe('reads in one burst', () => {
  it('are one BatchGetItem, and each caller gets only the items of its own keys', async () => {
    const pk = partition();
    await Promise.all(['a', 'b', 'c'].map((sk) => putItem({ pk, sk, value: sk })));
    commands = [];

    const [a, bc, missing, again] = await Promise.all([
      getItem({ pk, sk: 'a' }),
      batchGetAll([{ pk, sk: 'b' }, { pk, sk: 'c' }, { pk, sk: 'b' }]),
      getItem({ pk, sk: 'none' }),
      getItem({ pk, sk: 'a' }),
    ]);

    expect(commands).toEqual(['BatchGetItem']);
    expect(a).toMatchObject({ value: 'a' });
    expect(bc.map((item) => item.value).sort()).toEqual(['b', 'c']);
    expect(missing).toBeUndefined();
    expect(again).toMatchObject({ value: 'a' });
  });

  it('give a bad key its own error, and the others their items', async () => {
    const pk = partition();
    await putItem({ pk, sk: 'a', value: 'a' });
    commands = [];

    const [good, bad] = await Promise.allSettled([getItem({ pk, sk: 'a' }), getItem({ pk, sk: '' })]);

    expect(good).toEqual({ status: 'fulfilled', value: expect.objectContaining({ value: 'a' }) });
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason.name).toBe('ValidationException');
    // Together first; when that failed, each on its own.
    expect(commands).toEqual(['BatchGetItem', 'BatchGetItem', 'BatchGetItem']);
  });

  it('are sent apart when I/O comes between them', async () => {
    const pk = partition();
    const first = getItem({ pk, sk: 'a' });
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([first, getItem({ pk, sk: 'b' })]);
    expect(commands).toEqual(['BatchGetItem', 'BatchGetItem']);
  });
});

describe('puts in one burst', () => {
  it('are one BatchWriteItem, and every item is stored', async () => {
    const pk = partition();
    await Promise.all([putItem({ pk, sk: 'a', value: 1 }), putItem({ pk, sk: 'b', value: 2 })]);
    expect(commands).toEqual(['BatchWriteItem']);
    expect(await batchGetAll([{ pk, sk: 'a' }, { pk, sk: 'b' }])).toHaveLength(2);
  });

  it('store the good items and reject only the bad one', async () => {
    const pk = partition();
    const tooBig = 'x'.repeat(410 * 1024);
    const [good, bad] = await Promise.allSettled([putItem({ pk, sk: 'a', value: 1 }), putItem({ pk, sk: 'b', value: tooBig })]);

    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(await getItem({ pk, sk: 'a' })).toMatchObject({ value: 1 });
    expect(await getItem({ pk, sk: 'b' })).toBeUndefined();
  });

  it('of the same key are each written, the last one winning', async () => {
    const pk = partition();
    await Promise.all([putItem({ pk, sk: 'a', value: 1 }), putItem({ pk, sk: 'a', value: 2 })]);
    expect(await getItem({ pk, sk: 'a' })).toMatchObject({ value: 2 });
  });
});

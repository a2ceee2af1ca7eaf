/** The MCP server's own handshake (packages/mcp/src/server.ts ToolServer), over the SDK's in-memory transport. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { LATEST_PROTOCOL_VERSION, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Mailroom } from '@mailroom/sdk';
import { describe, expect, it } from 'vitest';
import { createMailroomMcpServer, type KeyInfo } from '../../packages/mcp/src/server.js';

const key: KeyInfo = { kind: 'team', key_id: 'key_1', scopes: ['read'], inbox_id: null };

/** Sends raw JSON-RPC messages to a fresh server and collects its answers by id. */
async function exchange(messages: JSONRPCMessage[]): Promise<Map<unknown, JSONRPCMessage>> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const answers = new Map<unknown, JSONRPCMessage>();
  clientSide.onmessage = (message) => void answers.set('id' in message ? message.id : undefined, message);
  await createMailroomMcpServer({ mailroom: {} as Mailroom, key }).connect(serverSide);
  await clientSide.start();
  for (const message of messages) await clientSide.send(message);
  const requests = messages.filter((message) => 'id' in message).map((message) => (message as { id: unknown }).id);
  for (let waited = 0; !requests.every((id) => answers.has(id)) && waited < 2000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  await clientSide.close();
  return answers;
}

const initialize = (id: number, protocolVersion: string): JSONRPCMessage => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'test', version: '1' } },
});

describe('MCP server handshake', () => {
  it('connects the SDK client and offers tools, with the server info and instructions', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createMailroomMcpServer({ mailroom: {} as Mailroom, key }).connect(serverSide);
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(clientSide);
    expect(client.getServerVersion()).toMatchObject({ name: 'mailroom', title: 'Mailroom' });
    expect(client.getServerCapabilities()).toEqual({ tools: {} });
    expect(client.getInstructions()).toMatch(/^Mailroom is an email platform/);
    await expect(client.ping()).resolves.toEqual({});
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  it('answers in the protocol version the client asks for when supported, else the latest', async () => {
    const answers = await exchange([initialize(1, '2025-03-26'), initialize(2, '1999-01-01')]);
    expect(answers.get(1)).toMatchObject({ result: { protocolVersion: '2025-03-26' } });
    expect(answers.get(2)).toMatchObject({ result: { protocolVersion: LATEST_PROTOCOL_VERSION } });
  });

  it('refuses methods it does not offer', async () => {
    const answers = await exchange([{ jsonrpc: '2.0', id: 1, method: 'resources/list', params: {} }]);
    expect(answers.get(1)).toMatchObject({ error: { code: -32601 } });
  });
});

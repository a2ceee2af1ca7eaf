/** POST /mcp: one JSON-RPC message per request. */
import type { RouteCases } from '../../support/route-cases.js';

export const cases: RouteCases = {
  'mcp.post': {
    body: {
      valid: () => ({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      wrongTypes: { body: { jsonrpc: 2, id: {}, method: 7 }, fields: ['jsonrpc', 'id', 'method'] },
      rules: { body: { jsonrpc: '1.0', method: '' }, fields: ['jsonrpc', 'method'] },
    },
  },
};

import { config } from '../../shared/config.js';
import { httpHandler } from '../../shared/http/handler.js';

export const handler = httpHandler('health.get', {}, async () => ({ status: 200, body: { ok: true, version: config.version } }));

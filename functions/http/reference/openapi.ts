import { httpHandler } from '../../shared/http/handler.js';
import { apiDocument } from '../../domain/openapi.js';

export const handler = httpHandler('reference.openapi', {}, async () => ({ status: 200, body: apiDocument(), headers: { 'Cache-Control': 'public, max-age=300' } }));

import { httpHandler } from '../../shared/http/handler.js';
import { apiDocument } from '../../domain/openapi.js';
import { renderLlmsText } from '../../domain/api-reference.js';

let text: string | undefined;

export const handler = httpHandler('reference.llms', {}, async () => {
  text ??= renderLlmsText(apiDocument());
  return { status: 200, text, headers: { 'Cache-Control': 'public, max-age=300' } };
});

import { httpHandler } from '../../shared/http/handler.js';
import { apiDocument } from '../../domain/openapi.js';
import { renderReferenceHtml } from '../../domain/api-reference.js';

let page: string | undefined;

export const handler = httpHandler('reference.docs', {}, async () => {
  page ??= renderReferenceHtml(apiDocument());
  return { status: 200, html: page, headers: { 'Cache-Control': 'public, max-age=300' } };
});

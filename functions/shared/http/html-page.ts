/** A minimal page for people who open a link from an email in a browser (the API otherwise speaks JSON). */
import type { HttpEvent, HttpResult } from './types.js';
import { header } from './request.js';

/** Text safe to put in HTML content or a quoted attribute. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** True when the client prefers a page (a browser following a link) over JSON. */
export function wantsHtml(event: HttpEvent): boolean {
  const accept = header(event, 'accept') ?? '';
  return /\btext\/html\b/i.test(accept) && !/^\s*application\/json\b/i.test(accept);
}

export function htmlPage(status: number, title: string, message: string): HttpResult {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222;line-height:1.5}h1{font-size:1.4rem}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
  return { status, html, headers: { 'Cache-Control': 'no-store' } };
}

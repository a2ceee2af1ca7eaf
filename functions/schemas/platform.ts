/** Routes about the deployment and the caller rather than a resource: health, who am I, the API's own description. */
import * as z from 'zod';
import { SCOPES } from '../shared/auth/scopes.js';
import { defineRoutes } from './contract.js';

export const Health = z
  .object({ ok: z.literal(true), version: z.string().describe('The deployed Mailroom version.') })
  .meta({ id: 'Health' });

export const Me = z
  .object({
    kind: z.enum(['root', 'team', 'inbox']).describe('`root` manages teams; `team` keys act for one team; `inbox` keys reach one inbox.'),
    key_id: z.string(),
    key_name: z.string().optional(),
    scopes: z.array(z.enum(SCOPES)),
    inbox_id: z.string().nullable().optional().describe('The inbox an inbox key is limited to.'),
    team: z.object({ id: z.string(), slug: z.string(), name: z.string() }).nullable(),
  })
  .meta({ id: 'Me' });

export const PLATFORM_ROUTES = defineRoutes({
  'health.get': {
    summary: 'Check the API is up',
    description: 'Answers without a key; use it for load balancer and uptime checks.',
    responses: { 200: Health },
  },
  'me.get': {
    summary: 'Describe the calling key',
    description: 'Which kind of key this is, its scopes, its team and (for inbox keys) its inbox. Clients use it to learn what they may call.',
    responses: { 200: Me },
  },
  'reference.openapi': {
    summary: 'Get the OpenAPI document',
    description: 'This API as an OpenAPI 3.1 document, generated from the route table and its zod schemas.',
    responses: { 200: { contentType: 'application/json', description: 'The OpenAPI 3.1 document.' } },
  },
  'reference.docs': {
    summary: 'Read the API reference',
    description: 'A readable HTML reference generated from the OpenAPI document.',
    responses: { 200: { contentType: 'text/html', description: 'The API reference page.' } },
  },
  'reference.llms': {
    summary: 'Get the API as plain text for coding agents',
    description: 'Every route with its parameters, body fields and answers, as plain text (the llms.txt convention).',
    responses: { 200: { contentType: 'text/plain', description: 'The API surface as plain text.' } },
  },
});

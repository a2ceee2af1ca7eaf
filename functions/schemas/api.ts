/**
 * Every route's contract, joined. The `satisfies` makes a route added to lib/routes.ts without a contract a
 * compile error; the OpenAPI generator (functions/domain/openapi.ts) reads only this.
 */
import type { RouteId } from '../../lib/routes.js';
import type { RouteContract } from './contract.js';
import { PLATFORM_ROUTES } from './platform.js';
import { TEAM_ROUTES } from './teams.js';
import { API_KEY_ROUTES } from './api-keys.js';
import { AUDIT_LOG_ROUTES } from './audit-log.js';
import { DOMAIN_ROUTES } from './domains.js';
import { SUPPRESSION_ROUTES } from './suppressions.js';
import { TEMPLATE_ROUTES } from './template-bodies.js';
import { EMAIL_ROUTES } from './emails.js';
import { INBOX_ROUTES } from './inboxes.js';
import { MESSAGE_ROUTES } from './messages.js';
import { INBOX_SEND_ROUTES } from './inbox-sends.js';
import { WEBHOOK_ROUTES } from './webhooks.js';
import { STORAGE_ROUTES } from './storage.js';
import { CONTACT_ROUTES } from './contacts.js';
import { EVENT_ROUTES } from './events.js';
import { CAMPAIGN_ROUTES } from './campaigns.js';
import { STATS_ROUTES } from './stats.js';
import { LIST_ROUTES } from './lists.js';
import { CONTACT_IMPORT_ROUTES } from './contact-imports.js';
import { SEGMENT_ROUTES } from './segments.js';
import { CONVERSION_ROUTES } from './conversions.js';

export const API_ROUTES = {
  ...PLATFORM_ROUTES,
  ...TEAM_ROUTES,
  ...API_KEY_ROUTES,
  ...AUDIT_LOG_ROUTES,
  ...DOMAIN_ROUTES,
  ...SUPPRESSION_ROUTES,
  ...TEMPLATE_ROUTES,
  ...EMAIL_ROUTES,
  ...INBOX_ROUTES,
  ...MESSAGE_ROUTES,
  ...INBOX_SEND_ROUTES,
  ...WEBHOOK_ROUTES,
  ...STORAGE_ROUTES,
  ...CONTACT_ROUTES,
  ...EVENT_ROUTES,
  ...CAMPAIGN_ROUTES,
  ...STATS_ROUTES,
  ...LIST_ROUTES,
  ...CONTACT_IMPORT_ROUTES,
  ...SEGMENT_ROUTES,
  ...CONVERSION_ROUTES,
} satisfies Record<RouteId, RouteContract>;

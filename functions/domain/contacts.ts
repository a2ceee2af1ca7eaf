/**
 * Contacts: identify's merge rules (pure), and the webhook events a change produces. Merge: the email never
 * changes; names are overwritten only by non-empty values; properties are deep-merged (objects merge key by
 * key, anything else is replaced, null removes a key); tags are appended without duplicates; the source is
 * kept from the first identify.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Contact, IdentifyBody, UpdateContactBody } from '../schemas/contacts.js';
import { recordUnsubscribe } from '../repositories/stats.js';
import { platformEvent, publishEvents, type PlatformEvent } from './webhook-events.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7386 merge patch: nested objects merge, null deletes, everything else replaces. */
export function mergeProperties(target: Json, patch: Json): Json {
  const merged: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (isObject(value) && isObject(merged[key])) merged[key] = mergeProperties(merged[key] as Json, value);
    else if (isObject(value)) merged[key] = mergeProperties({}, value);
    else merged[key] = value;
  }
  return merged;
}

const nonEmpty = (value: string | null | undefined) => (value ? value : undefined);

/** The contact after identify, from what is stored (undefined: a new contact). */
export function applyIdentify(existing: Contact | undefined, body: IdentifyBody, fresh: { id: string; now: string }): Contact {
  const base: Contact = existing ?? {
    id: fresh.id,
    email: body.email,
    first_name: null,
    last_name: null,
    properties: {},
    tags: [],
    source: body.source ?? null,
    timezone: null,
    subscribed: true,
    unsubscribed_at: null,
    lists: [],
    event_summary: {},
    created_at: fresh.now,
    updated_at: fresh.now,
    version: 0,
  };
  return {
    ...base,
    first_name: nonEmpty(body.first_name) ?? base.first_name,
    last_name: nonEmpty(body.last_name) ?? base.last_name,
    properties: body.properties ? mergeProperties(base.properties, body.properties) : base.properties,
    tags: body.tags ? [...new Set([...base.tags, ...body.tags])] : base.tags,
    source: base.source ?? body.source ?? null,
    timezone: body.timezone ?? base.timezone,
  };
}

/** The contact after a PATCH: names and time zone as given, properties merged, tags replaced. */
export function applyUpdate(current: Contact, changes: UpdateContactBody, now: string): Contact {
  const unsubscribing = changes.subscribed === false && current.subscribed;
  return {
    ...current,
    ...(changes.first_name !== undefined && { first_name: changes.first_name || null }),
    ...(changes.last_name !== undefined && { last_name: changes.last_name || null }),
    ...(changes.timezone !== undefined && { timezone: changes.timezone }),
    ...(changes.tags !== undefined && { tags: [...new Set(changes.tags)] }),
    ...(changes.properties !== undefined && { properties: mergeProperties(current.properties, changes.properties) }),
    ...(changes.subscribed !== undefined && { subscribed: changes.subscribed, unsubscribed_at: changes.subscribed ? null : unsubscribing ? now : current.unsubscribed_at }),
  };
}

const CONTENT = ['first_name', 'last_name', 'properties', 'tags', 'source', 'timezone', 'subscribed'] as const;
export const contactChanged = (before: Contact, after: Contact) => CONTENT.some((field) => !isDeepStrictEqual(before[field], after[field]));

/** `contact.created`, `contact.updated` and (on the change to unsubscribed) `contact.unsubscribed`, with stable ids. */
export function contactEvents(teamId: string, before: Contact | undefined, after: Contact): PlatformEvent[] {
  const data = { contact_id: after.id, email: after.email, url: `/v1/contacts/${after.id}` };
  const events = [
    platformEvent({
      team_id: teamId,
      type: before ? 'contact.updated' : 'contact.created',
      timestamp: after.updated_at,
      seed: `${after.id}\n${after.version}`,
      data: { ...data, first_name: after.first_name, last_name: after.last_name, tags: after.tags, subscribed: after.subscribed },
    }),
  ];
  if (before?.subscribed && !after.subscribed) {
    events.push(platformEvent({ team_id: teamId, type: 'contact.unsubscribed', timestamp: after.updated_at, seed: `${after.id}\n${after.version}`, data: { ...data, scope: 'all' } }));
  }
  return events;
}

/**
 * What every contact change is followed by, wherever it happens (API, one-click link, campaign step, track):
 * its webhook events, and an unsubscribe counted in the stats — for the campaign whose mail led to it, if
 * known. A change that wrote nothing (same version) does neither.
 */
export async function announceContactChange(teamId: string, before: Contact | undefined, after: Contact, options: { campaignId?: string | null } = {}): Promise<void> {
  if (before && before.version === after.version) return;
  await publishEvents(contactEvents(teamId, before, after));
  if (before?.subscribed && !after.subscribed) await recordUnsubscribe(teamId, options.campaignId ?? null, after.updated_at);
}

/**
 * What a template sent to a contact by a campaign or broadcast can use: `{{ first_name }}`,
 * `{{ contact.properties.plan }}` or a property directly (`{{ plan }}`; the contact fields win on a clash).
 */
export function contactTemplateVariables(contact: Contact): Record<string, unknown> {
  const fields = { id: contact.id, email: contact.email, first_name: contact.first_name, last_name: contact.last_name, properties: contact.properties, tags: contact.tags };
  return { ...contact.properties, email: contact.email, first_name: contact.first_name, last_name: contact.last_name, contact: fields };
}

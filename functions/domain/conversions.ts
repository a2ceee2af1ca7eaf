/**
 * Recording a conversion (POST /v1/conversions) with last-touch attribution: it is credited to the most
 * recent email sent to the address within the attribution window (ATTRIBUTION_WINDOW_DAYS, default 7), and to
 * that email's campaign. The conversion is also tracked as an event on the contact, which creates the contact
 * if needed and ends the enrolments whose goal the event is.
 *
 * Nothing is lost to a crash: an order id is claimed first, naming the conversion id, and the conversion,
 * the claim's completion and the counters are written together at the end. A retry of the same body after
 * the claim's lease has run out finishes that same conversion instead of answering 409; a different body,
 * or a finished claim, is a duplicate order (409 with the existing conversion id).
 * AWS calls: 1 PutItem (order claim, only with order_id), 1 GetItem (last sent), the event's calls
 * (functions/domain/track.ts), 1 TransactWriteItems (conversion, claim, team and campaign day counters).
 */
import { createHash } from 'node:crypto';
import { config } from '../shared/config.js';
import { ApiError } from '../shared/errors.js';
import { idTime, newId } from '../shared/ids.js';
import type { Conversion, ConversionBody } from '../schemas/conversions.js';
import { claimOrder, findLastSent, storeConversion, takeOverOrder } from '../repositories/conversions.js';
import { nowIso } from '../repositories/table.js';
import { dayOf, toCents } from './stats.js';
import { trackEvent } from './track.js';

/** Longer than a request may run (HTTP functions time out after 10 s): after it, a claim is abandoned. */
const ORDER_LEASE_MS = 30_000;

const duplicateOrder = (conversionId: string) =>
  new ApiError('conflict', 'A conversion with this order_id was already recorded.', { param: 'order_id', details: { conversion_id: conversionId } });

/** The conversion id to record under: a fresh one, or the one of an abandoned attempt with the same body. */
async function claimConversionId(teamId: string, orderId: string, bodyHash: string, now: number): Promise<string> {
  const id = newId('conversion', now);
  const claim = await claimOrder(teamId, orderId, { conversion_id: id, body_sha256: bodyHash, lease_until: now + ORDER_LEASE_MS });
  if (claim.claimed) return id;
  const { existing } = claim;
  if (existing.state === 'done' || existing.body_sha256 !== bodyHash) throw duplicateOrder(existing.conversion_id);
  const inProgress = new ApiError('conflict', 'A conversion with this order_id is being recorded by another request; retry shortly.', {
    param: 'order_id',
    retryable: true,
    details: { conversion_id: existing.conversion_id },
  });
  if (existing.lease_until > now) throw inProgress;
  if (!(await takeOverOrder(teamId, orderId, existing.lease_until, now + ORDER_LEASE_MS))) throw inProgress;
  return existing.conversion_id;
}

/** Tells a retry of the same conversion (same body) from another conversion with the same order id. */
export const conversionBodyHash = (body: ConversionBody) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

export async function recordConversion(teamId: string, body: ConversionBody, now = Date.now()): Promise<Conversion> {
  const id = body.order_id ? await claimConversionId(teamId, body.order_id, conversionBodyHash(body), now) : newId('conversion', now);

  const lastSent = await findLastSent(teamId, body.email);
  const windowMs = config.attributionWindowDays * 86_400_000;
  const touch = lastSent && Date.parse(lastSent.sent_at) > now - windowMs ? lastSent : undefined;

  const tracked = await trackEvent(
    teamId,
    {
      email: body.email,
      event: body.event,
      data: {
        conversion_id: id,
        ...(body.revenue !== undefined && { revenue: body.revenue, currency: body.currency }),
        ...(body.order_id && { order_id: body.order_id }),
        ...(touch && { email_id: touch.email_id, ...(touch.campaign_id && { campaign_id: touch.campaign_id }) }),
        ...(body.metadata && { metadata: body.metadata }),
      },
      // The conversion's own time, so that a retry finishing it names the same timeline event.
      timestamp: nowIso(idTime(id)),
    },
    // A retry that finishes an abandoned conversion records its event once.
    { source: 'conversion', seed: id },
  );

  const conversion: Conversion = {
    id,
    contact_id: tracked.contact.id,
    contact_created: tracked.contact_created,
    event: body.event,
    revenue: body.revenue ?? null,
    currency: body.currency,
    order_id: body.order_id ?? null,
    email_id: touch?.email_id ?? null,
    campaign_id: touch?.campaign_id ?? null,
    attributed: touch !== undefined,
    ended_enrollments: tracked.converted.map((campaign) => campaign.name),
    created_at: nowIso(now),
  };
  return storeConversion(
    teamId,
    conversion,
    { email: body.email, metadata: body.metadata },
    {
      teamId,
      campaignId: conversion.campaign_id,
      day: dayOf(now),
      shardSeed: conversion.id,
      counts: { converted: 1 },
      ...(body.revenue !== undefined && { revenue: { currency: body.currency, cents: toCents(body.revenue) } }),
    },
  );
}

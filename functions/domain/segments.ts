/**
 * Which contacts a segment (or any condition) matches, worked out from the contacts as they are now.
 *
 * Where the contacts are read from, and what that costs (RCU: DynamoDB read capacity units):
 * - A condition that requires a list subscription (a `list` condition at the top, or inside a top-level
 *   `all`; see requiredListId) reads only that list's subscribed members: per page, one read of the list, one
 *   index Query of the members, then one BatchGetItem of their contacts (consistent, 1 RCU per contact up to
 *   4 KB). The cost follows the list's size, not the team's.
 * - Anything else pages through all of the team's contacts (index Query, eventually consistent: 0.5 RCU per
 *   4 KB read, so about 1 RCU per 8 contacts of ~1 KB) and filters in memory. Contacts that do not match are
 *   paid for too: a segment of 100 contacts in a team of 100,000 costs ~12,500 RCU to evaluate fully.
 * The condition itself is evaluated against the contact item alone (evaluateCondition): nothing more is read
 * per contact, whatever it says about events.
 * A preview page makes at most PREVIEW_MAX_READS source reads; counting examines at most
 * config.segmentCountScanLimit contacts (beyond that the count is a lower bound, `count_exact: false`).
 */
import { config } from '../shared/config.js';
import { ApiError } from '../shared/errors.js';
import { findTeamContacts, listContacts } from '../repositories/contacts.js';
import { listSubscribedMembers } from '../repositories/lists.js';
import { getTeamSegment } from '../repositories/segments.js';
import type { Condition } from '../schemas/conditions.js';
import type { Contact } from '../schemas/contacts.js';
import type { SegmentContactsPage } from '../schemas/segments.js';
import { evaluateCondition, requiredListId } from './conditions.js';

/** Source reads one preview page may make (each reads at most what is still missing from the page). */
const PREVIEW_MAX_READS = 10;
/** Contacts per source read when counting: an index Query returns up to 1 MB anyway. */
const COUNT_PAGE = 500;
/** BatchGetItem takes 100 keys: a list's members are read that many at a time at most. */
const LIST_PAGE_MAX = 100;

export interface MatchPage {
  /** The contacts of this page that match, in source order. */
  contacts: Contact[];
  /** How many contacts were read to find them. */
  examined: number;
  /** Where the next page starts; null after the last page. */
  next_cursor: string | null;
}

async function sourcePage(teamId: string, listId: string | undefined, options: { limit: number; cursor?: string }) {
  if (!listId) {
    const page = await listContacts(teamId, { limit: options.limit, cursor: options.cursor });
    return { contacts: page.data, next_cursor: page.next_cursor };
  }
  try {
    const page = await listSubscribedMembers(teamId, listId, { limit: Math.min(options.limit, LIST_PAGE_MAX), cursor: options.cursor });
    return { contacts: await findTeamContacts(teamId, page.data.map((m) => m.contact_id)), next_cursor: page.next_cursor };
  } catch (error) {
    // A list deleted since the segment was saved has no members: the segment matches nobody.
    if (error instanceof ApiError && error.code === 'not_found') return { contacts: [], next_cursor: null };
    throw error;
  }
}

/**
 * The contacts that match `condition`, one page per source read (`pageSize` contacts read, so a page holds at
 * most that many matches, possibly none), starting at `cursor`. A cursor is only valid for the same condition.
 */
export async function* matchingContacts(
  teamId: string,
  condition: Condition,
  options: { cursor?: string; pageSize?: number; now?: number } = {},
): AsyncGenerator<MatchPage> {
  const listId = requiredListId(condition);
  const now = options.now ?? Date.now();
  let cursor = options.cursor;
  do {
    const page = await sourcePage(teamId, listId, { limit: options.pageSize ?? 50, cursor });
    yield { contacts: page.contacts.filter((c) => evaluateCondition(condition, c, now)), examined: page.contacts.length, next_cursor: page.next_cursor };
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

/** The first page of matchingContacts: what one unit of work (a preview read, a broadcast page) handles. */
export async function firstMatchPage(teamId: string, condition: Condition, options: { cursor?: string; pageSize: number; now?: number }): Promise<MatchPage> {
  for await (const page of matchingContacts(teamId, condition, options)) return page;
  return { contacts: [], examined: 0, next_cursor: null };
}

/** How many contacts match, examining at most config.segmentCountScanLimit of them. */
export async function countMatches(teamId: string, condition: Condition): Promise<{ count: number; exact: boolean }> {
  const limit = config.segmentCountScanLimit;
  let count = 0;
  let examined = 0;
  let cursor: string | undefined;
  do {
    if (examined >= limit) return { count, exact: false };
    const page = await firstMatchPage(teamId, condition, { cursor, pageSize: Math.min(COUNT_PAGE, limit - examined) });
    count += page.contacts.length;
    examined += page.examined;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { count, exact: true };
}

/**
 * A page of the segment's contacts. Each source read asks only for what the page still lacks, so the cursor
 * never skips a match; a page can hold fewer than `limit` contacts when the reads ran out (next_cursor says
 * whether there are more). The count of all matches comes with the first page only (it reads the whole
 * segment, up to the scan limit); later pages leave it null.
 */
export async function segmentContacts(teamId: string, segmentId: string, query: { limit: number; cursor?: string }): Promise<SegmentContactsPage> {
  const segment = await getTeamSegment(teamId, segmentId);
  const condition = segment.filter;
  const collectPage = async () => {
    const data: Contact[] = [];
    let cursor = query.cursor;
    let next: string | null = null;
    for (let reads = 0; reads < PREVIEW_MAX_READS && data.length < query.limit; reads++) {
      const page = await firstMatchPage(teamId, condition, { cursor, pageSize: query.limit - data.length });
      data.push(...page.contacts);
      next = page.next_cursor;
      if (!next) break;
      cursor = next;
    }
    return { data, next_cursor: next };
  };
  const [page, total] = await Promise.all([collectPage(), query.cursor ? undefined : countMatches(teamId, condition)]);
  return { ...page, count: total?.count ?? null, count_exact: total?.exact ?? null };
}

/**
 * Segments: a saved condition over a team's contacts (schemas/conditions.ts), evaluated when it is used
 * (a preview, a broadcast), never stored as a membership list, so it always reflects the contacts as they are.
 */
import * as z from 'zod';
import { idOf, ListQuery, pageOf, ShortDescription, Timestamp, someFieldGiven, ResourceName } from './common.js';
import { Contact } from './contacts.js';
import { Condition } from './conditions.js';
import { defineRoutes } from './contract.js';

export const CreateSegmentBody = z.strictObject({
  name: ResourceName,
  description: ShortDescription.optional(),
  filter: Condition.describe('Which contacts belong to the segment.'),
});
export type CreateSegmentBody = z.output<typeof CreateSegmentBody>;

export const UpdateSegmentBody = z
  .strictObject({ name: ResourceName.optional(), description: ShortDescription.optional(), filter: Condition.optional() })
  .refine(...someFieldGiven);
export type UpdateSegmentBody = z.output<typeof UpdateSegmentBody>;

export const Segment = z
  .object({
    id: idOf('segment'),
    name: z.string(),
    description: z.string().nullable(),
    filter: Condition.describe('Which contacts belong to the segment.'),
    source_list_id: idOf('list')
      .nullable()
      .describe("The list whose subscribed members are read to evaluate the segment (the filter requires it); null: all of the team's contacts are read."),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.number().int().describe('Increases with every change; the ETag, for If-Match.'),
  })
  .meta({ id: 'Segment' });
export type Segment = z.infer<typeof Segment>;

export const SegmentParams = z.strictObject({ id: idOf('segment') });
export const ListSegmentsQuery = ListQuery;
export const SegmentContactsQuery = ListQuery;

export const SegmentContactsPage = pageOf(Contact)
  .extend({
    count: z.number().int().nullable().describe('How many contacts match (first page only; null on later pages).'),
    count_exact: z.boolean().nullable().describe('false when counting stopped at the scan limit: the count is then a lower bound (null on later pages).'),
  })
  .meta({ id: 'SegmentContactsPage' });
export type SegmentContactsPage = z.infer<typeof SegmentContactsPage>;

export const SegmentDeleted = z.object({ id: idOf('segment'), deleted: z.literal(true) });
export type SegmentDeleted = z.infer<typeof SegmentDeleted>;

export const SEGMENT_ROUTES = defineRoutes({
  'segments.create': {
    summary: 'Create a segment',
    description: 'A saved filter over the team\'s contacts. Only the definition is stored: which contacts match is worked out whenever the segment is used, so it always reflects the contacts as they are.',
    body: CreateSegmentBody,
    responses: { 201: Segment },
  },
  'segments.list': {
    summary: 'List segments',
    description: 'The team\'s segments, newest first.',
    query: ListSegmentsQuery,
    responses: { 200: pageOf(Segment) },
  },
  'segments.get': {
    summary: 'Get a segment',
    params: SegmentParams,
    responses: { 200: Segment },
  },
  'segments.update': {
    summary: 'Update a segment',
    description: 'Broadcasts already sending keep the filter they started with. Honours If-Match.',
    params: SegmentParams,
    body: UpdateSegmentBody,
    responses: { 200: Segment },
    errors: ['conflict'],
    headers: ['If-Match'],
  },
  'segments.delete': {
    summary: 'Delete a segment',
    description: 'Broadcasts already sending keep their filter, so deleting a segment never stops one.',
    params: SegmentParams,
    responses: { 200: SegmentDeleted },
  },
  'segments.contacts': {
    summary: 'List the contacts a segment matches',
    description:
      'A page of the contacts that match now. A filter that requires a list subscription reads only that list\'s subscribed members; any other reads all of the team\'s contacts. ' +
      'A page may hold fewer than `limit` contacts while `next_cursor` points further. The first page also counts every match (up to a scan limit: `count_exact: false` then); later pages answer `count: null`.',
    params: SegmentParams,
    query: SegmentContactsQuery,
    responses: { 200: SegmentContactsPage },
  },
});

/**
 * Segments: a saved condition over a team's contacts (schemas/conditions.ts), evaluated when it is used
 * (a preview, a broadcast), never stored as a membership list, so it always reflects the contacts as they are.
 */
import * as z from 'zod';
import { idOf, ListQuery, pageOf, ShortDescription, Timestamp, someFieldGiven, ResourceName } from './common.js';
import { Contact } from './contacts.js';
import { Condition } from './conditions.js';


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

export const Segment = z.object({
  id: idOf('segment'),
  name: z.string(),
  description: z.string().nullable(),
  filter: Condition,
  source_list_id: z
    .string()
    .nullable()
    .describe("The list whose subscribed members are read to evaluate the segment (the filter requires it); null: all of the team's contacts are read."),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: z.number().int(),
});
export type Segment = z.infer<typeof Segment>;

export const SegmentParams = z.strictObject({ id: idOf('segment') });
export const ListSegmentsQuery = ListQuery;
export const SegmentContactsQuery = ListQuery;

export const SegmentContactsPage = pageOf(Contact).extend({
  count: z.number().int().nullable().describe('How many contacts match (first page only; null on later pages).'),
  count_exact: z.boolean().nullable().describe('false when counting stopped at the scan limit: the count is then a lower bound.'),
});
export type SegmentContactsPage = z.infer<typeof SegmentContactsPage>;

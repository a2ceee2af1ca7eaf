/**
 * The condition language shared by segments and campaign branch steps. A condition is evaluated against one
 * contact item alone (properties, tags, subscription, list memberships and the per-event summary kept on the
 * contact), so evaluating it never costs an extra read per contact.
 */
import * as z from 'zod';
import { idOf } from './common.js';

export const MAX_CONDITION_NODES = 30;
export const MAX_CONDITION_DEPTH = 5;

const PropertyPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^.\s][^\s]*$/, 'A property name, or a dotted path into nested properties like "address.city".')
  .describe('Property name; dots reach into nested objects ("address.city").');
const Scalar = z.union([z.string().max(500), z.number(), z.boolean()]);
export const EventName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'Event names are letters, digits and "_ . : -".');

const PropertyCondition = z
  .strictObject({
    type: z.literal('property'),
    key: PropertyPath,
    op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists', 'not_exists']),
    value: Scalar.optional(),
  })
  .superRefine((c, ctx) => {
    const needsValue = c.op !== 'exists' && c.op !== 'not_exists';
    if (needsValue && c.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `The ${c.op} operator needs a value.` });
    if (!needsValue && c.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `The ${c.op} operator takes no value.` });
  });

const TagCondition = z.strictObject({ type: z.literal('tag'), tag: z.string().min(1).max(64), op: z.enum(['has', 'lacks']).default('has') });
const ListCondition = z.strictObject({ type: z.literal('list'), list_id: idOf('list'), op: z.enum(['subscribed', 'not_subscribed']).default('subscribed') });
const SubscribedCondition = z.strictObject({ type: z.literal('subscribed'), value: z.boolean() });
const EventCondition = z.strictObject({
  type: z.literal('event'),
  event: EventName,
  op: z.enum(['performed', 'not_performed']).default('performed'),
  within_days: z.number().int().min(1).max(3650).optional().describe('Only count the event if it last happened within this many days.'),
  min_count: z.number().int().min(1).max(1_000_000).optional().describe('Performed at least this many times (all time).'),
});

export type Condition =
  | z.output<typeof PropertyCondition>
  | z.output<typeof TagCondition>
  | z.output<typeof ListCondition>
  | z.output<typeof SubscribedCondition>
  | z.output<typeof EventCondition>
  | { type: 'all' | 'any'; conditions: Condition[] }
  | { type: 'not'; condition: Condition };

const Group = z.strictObject({
  type: z.enum(['all', 'any']),
  get conditions() {
    return z.array(ConditionNode).min(1).max(MAX_CONDITION_NODES);
  },
}).meta({ id: 'ConditionGroup' });
const Not = z.strictObject({
  type: z.literal('not'),
  get condition() {
    return ConditionNode;
  },
}).meta({ id: 'ConditionNot' });

const ConditionNode: z.ZodType<Condition> = z.discriminatedUnion('type', [PropertyCondition, TagCondition, ListCondition, SubscribedCondition, EventCondition, Group, Not]).meta({ id: 'Condition' }) as z.ZodType<Condition>;

function measure(condition: Condition, depth = 1): { nodes: number; depth: number } {
  if (condition.type === 'all' || condition.type === 'any') {
    return condition.conditions.map((c) => measure(c, depth + 1)).reduce((acc, m) => ({ nodes: acc.nodes + m.nodes, depth: Math.max(acc.depth, m.depth) }), { nodes: 1, depth });
  }
  if (condition.type === 'not') {
    const inner = measure(condition.condition, depth + 1);
    return { nodes: inner.nodes + 1, depth: inner.depth };
  }
  return { nodes: 1, depth };
}

/** A condition tree, bounded in size and depth so evaluating it stays cheap. */
export const Condition = ConditionNode.superRefine((condition, ctx) => {
  const { nodes, depth } = measure(condition);
  if (nodes > MAX_CONDITION_NODES) ctx.addIssue({ code: 'custom', message: `At most ${MAX_CONDITION_NODES} conditions in one tree (got ${nodes}).` });
  if (depth > MAX_CONDITION_DEPTH) ctx.addIssue({ code: 'custom', message: `Conditions nest at most ${MAX_CONDITION_DEPTH} levels deep (got ${depth}).` });
});

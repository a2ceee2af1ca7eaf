/**
 * A list command's filters are the route's query parameters, generated from the OpenAPI document
 * (generated/query-parameters.ts, `npm run generate`): a filter added to the API is a flag here too.
 * `since` → `--since`, `page_size` → `--page-size`.
 */
import type { OperationQuery } from '@mailroom/sdk';
import type { Flags, FlagSpec } from './command.js';
import { QUERY_PARAMETERS, type QueryParameter } from './generated/query-parameters.js';

type QueryRoute = keyof typeof QUERY_PARAMETERS;

const flagName = (parameter: string) => parameter.replace(/_/g, '-');

function placeholder(parameter: QueryParameter): string {
  if (parameter.enum) return parameter.enum.length <= 3 ? parameter.enum.join('|') : 'VALUE';
  if (parameter.type === 'integer' || parameter.type === 'number') return 'N';
  if (parameter.format === 'date-time') return 'TIME';
  return 'VALUE';
}

function flagOf(parameter: QueryParameter): FlagSpec {
  const facts = [
    parameter.description,
    parameter.enum && parameter.enum.length > 3 && `One of: ${parameter.enum.join(', ')}.`,
    parameter.minimum !== undefined && parameter.maximum !== undefined && `${parameter.minimum} to ${parameter.maximum}.`,
    parameter.format === 'date-time' && 'ISO 8601 with offset.',
    parameter.default !== undefined && `Default: ${parameter.default}.`,
  ];
  return { type: 'string', arg: placeholder(parameter), help: facts.filter(Boolean).join(' ') };
}

export function queryFlags(route: QueryRoute): Flags {
  return Object.fromEntries(QUERY_PARAMETERS[route].map((parameter) => [flagName(parameter.name), flagOf(parameter)]));
}

/**
 * The query of a request from the flags given: only the route's own parameters, by their API names. Values
 * stay the strings typed: a query string carries nothing else, and the API validates them.
 */
export function queryOf<Route extends QueryRoute>(route: Route, values: Record<string, unknown>): OperationQuery<Route> {
  const query: Record<string, string> = {};
  for (const { name } of QUERY_PARAMETERS[route]) {
    const value = values[flagName(name)];
    if (typeof value === 'string') query[name] = value;
  }
  return query as OperationQuery<Route>;
}

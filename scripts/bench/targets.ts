/** The targets of issue 10 the run is held to: PASS, FAIL, or not measured (null). */
import { routeById } from '../../lib/routes.js';
import type { FunctionResult, OperationResult, TargetResult } from './result.js';
import { routeKey } from '../../local/api-event.js';

const SEND_ROUTE_STAGE = routeKey(routeById('emails.send'));
const MAX_INFRASTRUCTURE_USD_PER_1000_EMAILS = 0.01;
const MAX_SEND_ROUND_TRIPS = 3;
const MAX_SEND_P50_MS = 15;
const MAX_BUNDLE_KB = 500;

function target(name: string, limit: number, unit: string, value: number | undefined, detail?: string): TargetResult {
  return { name, limit, unit, value: value ?? null, pass: value === undefined ? null : value <= limit, ...(detail && { detail }) };
}

export function evaluateTargets(operations: OperationResult[], functions: FunctionResult[] | null): TargetResult[] {
  const operation = (name: string) => operations.find((o) => o.name === name);
  const sendRoute = operation('send')?.stages.find((s) => s.stage === SEND_ROUTE_STAGE);
  const perThousand = (name: string) => {
    const usd = operation(name)?.infrastructurePerUnit;
    return usd === undefined ? undefined : usd * 1000;
  };
  const largest = functions?.reduce<FunctionResult | undefined>((max, f) => (!max || f.bundleBytes > max.bundleBytes ? f : max), undefined);
  const oversized = functions?.filter((f) => f.bundleBytes > MAX_BUNDLE_KB * 1024).map((f) => f.name) ?? [];
  return [
    target('Infrastructure per 1,000 emails beyond SES (send)', MAX_INFRASTRUCTURE_USD_PER_1000_EMAILS, 'USD', perThousand('send')),
    target('Infrastructure per 1,000 emails beyond SES (batch send)', MAX_INFRASTRUCTURE_USD_PER_1000_EMAILS, 'USD', perThousand('batch send')),
    target(`${SEND_ROUTE_STAGE}: DynamoDB round trips (p50)`, MAX_SEND_ROUND_TRIPS, 'round trips', sendRoute?.dynamoRoundTrips.p50, sendRoute && `max ${sendRoute.dynamoRoundTrips.max}`),
    target(`${SEND_ROUTE_STAGE}: warm handler time (p50)`, MAX_SEND_P50_MS, 'ms', sendRoute?.p50Ms, sendRoute && `${sendRoute.ownP50Ms.toFixed(1)} ms of it not waiting on an AWS call`),
    target(
      'Largest function bundle (minified)',
      MAX_BUNDLE_KB,
      'KB',
      largest && largest.bundleBytes / 1024,
      largest && (oversized.length ? `over: ${oversized.join(', ')}` : largest.name),
    ),
  ];
}

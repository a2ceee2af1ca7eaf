/**
 * The HTTP API: one Lambda per route table entry, plus the `$default` fallback. Each feature group's
 * functions live in their own nested stack, so the 500-resources-per-stack limit is per feature, never
 * per deployment: adding routes cannot break the deploy (test/infra checks the headroom).
 */
import { CfnOutput, NestedStack, type RemovalPolicy } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpRoute, HttpRouteKey } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS } from '../cors.js';
import { FALLBACK_HANDLER, FALLBACK_ROUTE, handlerFile, routeGroup, type RouteDefinition } from '../routes.js';
import { HTTP_FUNCTION_MEMORY_MB, HTTP_FUNCTION_TIMEOUT_SECONDS } from '../function-defaults.js';
import type { QueueDefinition } from '../queues.js';
import { AppFunction } from './app-function.js';
import type { PlatformSecrets } from './platform-secrets.js';
import type { WorkQueue } from './work-queue.js';

export interface HttpApiRoutesProps {
  routes: readonly RouteDefinition[];
  table: ITableV2;
  secrets: PlatformSecrets;
  queues: ReadonlyMap<string, { definition: QueueDefinition; construct: WorkQueue }>;
  corsOrigins: readonly string[];
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  environment: Record<string, string>;
}

const METHODS: Record<RouteDefinition['method'], HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PATCH: HttpMethod.PATCH,
  PUT: HttpMethod.PUT,
  DELETE: HttpMethod.DELETE,
};

export class HttpApiRoutes extends Construct {
  readonly api: HttpApi;
  readonly functions = new Map<string, AppFunction>();

  constructor(scope: Construct, id: string, props: HttpApiRoutesProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Mailroom API',
      createDefaultStage: true,
      corsPreflight: props.corsOrigins.length
        ? {
            allowOrigins: [...props.corsOrigins],
            allowMethods: CORS.allowMethods.map((m) => CorsHttpMethod[m]),
            allowHeaders: [...CORS.allowHeaders],
            exposeHeaders: [...CORS.exposeHeaders],
            maxAge: undefined,
          }
        : undefined,
    });

    const groups = new Map<string, RouteDefinition[]>();
    for (const route of [...props.routes, FALLBACK_ROUTE]) {
      const group = routeGroup(route);
      groups.set(group, [...(groups.get(group) ?? []), route]);
    }
    for (const [group, routes] of groups) {
      const stack = new NestedStack(this, `Routes-${group}`, { description: `Mailroom API routes: ${group}` });
      for (const route of routes) this.addRoute(stack, route, props);
    }
    new CfnOutput(this, 'Url', { value: this.api.apiEndpoint, description: 'Mailroom API base URL' });
  }

  private addRoute(stack: NestedStack, route: RouteDefinition, props: HttpApiRoutesProps) {
    const isFallback = route === FALLBACK_ROUTE;
    const fn = new AppFunction(stack, route.id, {
      entry: isFallback ? FALLBACK_HANDLER : handlerFile(route),
      description: isFallback ? 'Mailroom API: 404/405 for unmatched requests' : `Mailroom API: ${route.method} ${route.path}`,
      timeoutSeconds: HTTP_FUNCTION_TIMEOUT_SECONDS,
      memoryMb: HTTP_FUNCTION_MEMORY_MB,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: props.environment,
    });
    if (route.access !== 'public') {
      // Authentication reads keys, counts rate limits and writes the audit log on every call.
      fn.useTable(props.table, 'readwrite')
        .useSecret(props.secrets.pepper, 'PEPPER_SECRET_ARN')
        .useSecret(props.secrets.rootKey, 'ROOT_KEY_SECRET_ARN');
    }
    for (const name of route.sendsTo ?? []) {
      const queue = props.queues.get(name);
      if (!queue) throw new Error(`Route ${route.id} sends to unknown queue ${name}`);
      fn.useQueueToSend(queue.construct.queue, queue.definition.urlEnvVar);
    }
    new HttpRoute(stack, `${route.id}-route`, {
      httpApi: this.api,
      routeKey: isFallback ? HttpRouteKey.DEFAULT : HttpRouteKey.with(route.path, METHODS[route.method]),
      integration: new HttpLambdaIntegration(`${route.id}-integration`, fn.function),
    });
    this.functions.set(route.id, fn);
  }
}

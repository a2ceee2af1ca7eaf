/**
 * The HTTP API: one Lambda per route table entry, plus the `$default` fallback. Each feature group's
 * functions live in their own nested stack, so the 500-resources-per-stack limit is per feature, never
 * per deployment: adding routes cannot break the deploy (test/infra checks the headroom).
 */
import { CfnOutput, NestedStack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { CfnStage, CorsHttpMethod, HttpApi, HttpMethod, HttpRoute, HttpRouteKey } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS } from '../cors.js';
import { FALLBACK_HANDLER, FALLBACK_ROUTE, handlerFile, routeGroup, type RouteDefinition } from '../routes.js';
import { HTTP_FUNCTION_MEMORY_MB, HTTP_FUNCTION_TIMEOUT_SECONDS } from '../function-defaults.js';
import { AppFunction } from './app-function.js';
import type { PlatformAccess } from './platform-access.js';

export interface HttpApiRoutesProps {
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

  constructor(scope: Construct, id: string, private readonly props: HttpApiRoutesProps) {
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
          }
        : undefined,
    });
    // One access log line per request. The route key, not the path: paths carry unsubscribe and confirmation tokens.
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    (this.api.defaultStage!.node.defaultChild as CfnStage).accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        time: '$context.requestTimeEpoch',
        ip: '$context.identity.sourceIp',
        userAgent: '$context.identity.userAgent',
        route: '$context.routeKey',
        status: '$context.status',
        bytes: '$context.responseLength',
        latencyMs: '$context.responseLatency',
        integrationLatencyMs: '$context.integrationLatency',
        integrationError: '$context.integrationErrorMessage',
      }),
    };
    new CfnOutput(this, 'Url', { value: this.api.apiEndpoint, description: 'Mailroom API base URL' });
  }

  /** One Lambda per route (plus the `$default` fallback), grouped in a nested stack per feature. */
  addRoutes(routes: readonly RouteDefinition[], access: PlatformAccess): void {
    const groups = new Map<string, RouteDefinition[]>();
    for (const route of [...routes, FALLBACK_ROUTE]) {
      const group = routeGroup(route);
      groups.set(group, [...(groups.get(group) ?? []), route]);
    }
    for (const [group, grouped] of groups) {
      const stack = new NestedStack(this, `Routes-${group}`, { description: `Mailroom API routes: ${group}` });
      for (const route of grouped) this.addRoute(stack, route, access);
    }
  }

  private addRoute(stack: NestedStack, route: RouteDefinition, access: PlatformAccess) {
    const isFallback = route === FALLBACK_ROUTE;
    const fn = new AppFunction(stack, route.id, {
      entry: isFallback ? FALLBACK_HANDLER : handlerFile(route),
      description: isFallback ? 'Mailroom API: 404/405 for unmatched requests' : `Mailroom API: ${route.method} ${route.path}`,
      timeoutSeconds: HTTP_FUNCTION_TIMEOUT_SECONDS,
      memoryMb: HTTP_FUNCTION_MEMORY_MB,
      logRetention: this.props.logRetention,
      removalPolicy: this.props.removalPolicy,
      environment: this.props.environment,
    });
    // Authentication reads keys, counts rate limits and writes the audit log on every authenticated call;
    // public routes (health, unsubscribe links) only get what they declare.
    const authenticated = route.access !== 'public';
    access.apply(fn, { table: authenticated, secrets: authenticated, sendsTo: route.sendsTo, uses: route.uses });
    const httpRoute = new HttpRoute(stack, `${route.id}-route`, {
      httpApi: this.api,
      routeKey: isFallback ? HttpRouteKey.DEFAULT : HttpRouteKey.with(route.path, METHODS[route.method]),
      integration: new HttpLambdaIntegration(`${route.id}-integration`, fn.function),
    });
    Validations.of(httpRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'Mailroom API keys (Bearer) are checked in the function, against hashed keys in the table; public routes are public by design.',
    });
    this.functions.set(route.id, fn);
  }
}

/**
 * What the table-driven route test (test/integration/platform-routes.test.ts) needs to know about a
 * feature's routes. Each feature adds `test/integration/route-cases/<feature>.ts` exporting `cases`.
 */
export interface RouteCaseContext {
  url: string;
  /** Admin key of the team that owns the resources the test acts on. */
  adminKey: string;
}

export interface RouteCase {
  /**
   * Routes with path parameters: create a resource of the admin key's team and return the concrete path
   * (another team's key must then get 404 on it).
   */
  path?: (ctx: RouteCaseContext) => Promise<string>;
  /** Routes with path parameters: a well-formed path to a resource that does not exist. */
  missingPath?: () => string;
  /** POST routes that take no body (they act on the resource in the path). */
  noBody?: true;
  /** Routes with a body: a valid body, one with wrong types and one that breaks rules, each listing every bad field. */
  body?: {
    valid: () => object;
    wrongTypes: { body: object; fields: string[] };
    rules: { body: object; fields: string[] };
  };
}

export type RouteCases = Record<string, RouteCase>;

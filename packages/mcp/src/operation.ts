/** What the generator (scripts/generate-mcp.ts) records about each API operation a tool calls. */
export type JsonSchema = { [keyword: string]: unknown };

/** Where the request carries an input: the path, the query string or the JSON body. */
export type InputLocation = 'path' | 'query' | 'body';

export interface Operation {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  description?: string;
  /** Honours `Idempotency-Key`. */
  idempotent: boolean;
  /** Team-key scopes any one of which admits the call. */
  scopes: readonly string[];
  /** Inbox-key scopes that admit it; null when inbox keys are refused. */
  inboxScopes: readonly string[] | null;
  /** Every input and where the request carries it. */
  inputs: Record<string, InputLocation>;
  /** One object schema: path parameters, query parameters and body fields side by side. */
  inputSchema: JsonSchema;
  /** The success answer as an object schema (MCP requires one); see `output`. */
  outputSchema: JsonSchema;
  /** How the success body becomes the tool's structured result: as it is, as `{ result }`, or `{}` for no body. */
  output: 'object' | 'wrapped' | 'empty';
  /** The names in SCHEMAS each schema refers to (`#/$defs/<name>`), directly or through another. */
  inputDefs: readonly string[];
  outputDefs: readonly string[];
}

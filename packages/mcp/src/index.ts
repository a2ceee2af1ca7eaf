export { createMailroomMcpServer, callTool, toolsFor, RootKeyError, secretNotice, UNTRUSTED_CONTENT_WARNING, type KeyInfo, type ScopedTool } from './server.js';
export { handleMcpPost } from './http.js';
export { TOOLS, type ToolDefinition } from './tools.js';
export type { InputLocation, JsonSchema, Operation } from './operation.js';

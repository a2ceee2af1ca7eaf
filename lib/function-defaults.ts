/** Lambda settings shared by CDK and the local runtime (which enforces the same timeouts). */
export const HTTP_FUNCTION_TIMEOUT_SECONDS = 10;
export const HTTP_FUNCTION_MEMORY_MB = 1024;
export const LOG_RETENTION_DAYS_DEFAULT = 30;

/** Loading and invoking the real Lambda handlers in-process, with a Lambda-shaped context. */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';

export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

const ROOT = resolve(import.meta.dirname, '..');
const loaded = new Map<string, Promise<LambdaHandler>>();

/** Imports `functions/...ts` once (like a warm container) and returns its `handler` export. */
export function loadHandler<E, R>(file: string): Promise<LambdaHandler<E, R>> {
  let handler = loaded.get(file);
  if (!handler) {
    handler = import(pathToFileURL(resolve(ROOT, file)).href).then((mod) => {
      if (typeof mod.handler !== 'function') throw new Error(`${file} does not export a handler`);
      return mod.handler as LambdaHandler;
    });
    loaded.set(file, handler);
  }
  return handler as Promise<LambdaHandler<E, R>>;
}

export function lambdaContext(functionName: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

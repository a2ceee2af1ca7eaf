/** Runs in every test worker before test files import anything: points the SDK clients at this worker's stack. */
import { workerStack } from '../support/worker-stack.js';

Object.assign(process.env, workerStack().functionEnv);

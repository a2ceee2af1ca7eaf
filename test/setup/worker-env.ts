/** Runs in every test worker before test files import anything: points the SDK clients at the emulators. */
import { inject } from 'vitest';

Object.assign(process.env, inject('functionEnv'));

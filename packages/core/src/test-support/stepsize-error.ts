import { expect } from 'vitest';
import { StepsizeError } from '../errors.js';

/**
 * Runs `action` and expects it to throw a StepsizeError at exactly `path` whose message
 * starts with the path (test support); returns the error for further checks.
 */
export function expectStepsizeError(action: () => unknown, path: string): StepsizeError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a StepsizeError at ${path}`).toBeInstanceOf(StepsizeError);
  const error = caught as StepsizeError;
  expect(error.path).toBe(path);
  expect(error.message.startsWith(`${path} `), error.message).toBe(true);
  return error;
}

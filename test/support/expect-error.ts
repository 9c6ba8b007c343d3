import { expect } from 'vitest';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** Runs `action`, expects it to throw an instance of `type`, and returns the error for further checks. */
export function thrownBy<E>(type: ErrorClass<E>, action: () => unknown): E {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error('expected the action to throw');
  expect(caught).toBeInstanceOf(type);
  return caught as E;
}

/** Awaits `action`, expects it to reject with an instance of `type`, and returns the error. */
export async function rejectedBy<E>(type: ErrorClass<E>, action: () => Promise<unknown>): Promise<E> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error('expected the action to reject');
  expect(caught).toBeInstanceOf(type);
  return caught as E;
}

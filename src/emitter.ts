/**
 * Small event plumbing shared by Socket and Channel: user-callback isolation and async iterators
 * over eventemitter3 events.
 * @module
 */
import { EventEmitter } from "eventemitter3";
import { UsageError } from "./errors";

export { EventEmitter };

/**
 * Surfaces an error thrown by a user callback without stopping delivery to the others:
 * `reportError` where the platform has it (browsers, workers), else a rethrow in a microtask,
 * which reaches `window.onerror` / Node's `uncaughtException` like any uncaught error.
 */
export function rethrowAsync(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === "function") {
    report(error);
    return;
  }
  queueMicrotask(() => {
    throw error;
  });
}

/** Does nothing: the detached/default handler shared by the client classes. */
export function noop(): void {}

/** True for a promise or any object with a callable `then`. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

/** Throws a clear {@link UsageError} when a callback argument is not a function. */
export function assertFunction(value: unknown, what: string): void {
  if (typeof value !== "function") throw new UsageError(`${what} must be a function, got ${value === null ? "null" : typeof value}`);
}

/**
 * Calls a user callback; a throw is rethrown asynchronously instead of unwinding our loop.
 * Fixed arity rather than rest arguments: this runs once per delivered message.
 */
export function safeCall(callback: (...args: never[]) => unknown, a?: unknown, b?: unknown, c?: unknown): void {
  const fn = callback as (a?: unknown, b?: unknown, c?: unknown) => unknown;
  try {
    // Pass exactly the arguments given, as phoenix.js does (callbacks may look at their arity).
    switch (arguments.length) {
      case 1:
        fn();
        break;
      case 2:
        fn(a);
        break;
      case 3:
        fn(a, b);
        break;
      default:
        fn(a, b, c);
    }
  } catch (error) {
    rethrowAsync(error);
  }
}

/** Options of the async iterators. */
export interface IterateOptions {
  /** Ends the iteration when aborted. */
  signal?: AbortSignal;
}

/**
 * An async iterator over `event` of `emitter`, ended by `end` events, the signal, `return()`,
 * or `stop` returning true for a value (that value is still yielded). Values arriving faster than
 * they are consumed are queued.
 */
export function iterate<T>(
  subscribe: (push: (value: T) => void, end: () => void) => () => void,
  options: IterateOptions = {},
): AsyncIterableIterator<T> {
  const queue: T[] = [];
  const waiting: Array<(result: IteratorResult<T>) => void> = [];
  let done = false;
  let unsubscribe: (() => void) | null = null;
  const { signal } = options;

  const finish = (): void => {
    if (done) return;
    done = true;
    if (unsubscribe) unsubscribe();
    unsubscribe = null;
    if (signal) signal.removeEventListener("abort", finish);
    for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
  };
  const push = (value: T): void => {
    if (done) return;
    const resolve = waiting.shift();
    if (resolve) resolve({ value, done: false });
    else queue.push(value);
  };

  if (signal?.aborted) done = true;
  else {
    unsubscribe = subscribe(push, finish);
    if (signal) signal.addEventListener("abort", finish);
  }

  const iterator: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return(): Promise<IteratorResult<T>> {
      finish();
      queue.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * Small event plumbing shared by Socket and Channel: user-callback isolation and async iterators
 * over their listener sets.
 * @module
 */
import { UsageError } from "./errors";

/**
 * Surfaces an error thrown by a user callback without stopping delivery to the others:
 * `reportError` where the platform has it (browsers, workers), else a rethrow in a microtask,
 * which reaches `window.onerror` / Node's `uncaughtException` like any uncaught error.
 */
export function rethrowAsync(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === "function") report(error);
  else
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
  const n = arguments.length;
  try {
    // Pass exactly the arguments given, as phoenix.js does (callbacks may look at their arity).
    if (n < 2) fn();
    else if (n < 3) fn(a);
    else if (n < 4) fn(a, b);
    else fn(a, b, c);
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
  options?: IterateOptions,
): AsyncIterableIterator<T> {
  const queue: T[] = [];
  const waiting: Array<(result: IteratorResult<T>) => void> = [];
  const signal = options?.signal;
  let done = !!signal?.aborted;
  let unsubscribe: (() => void) | undefined;

  // Hands queued values, then (once ended) the end, to the waiting next() calls, oldest first.
  const settle = (): void => {
    while (waiting.length && (queue.length || done)) {
      (waiting.shift() as (result: IteratorResult<T>) => void)(
        queue.length ? { value: queue.shift() as T, done: false } : { value: undefined, done: true },
      );
    }
  };

  const finish = (): void => {
    if (done) return;
    done = true;
    unsubscribe?.();
    unsubscribe = undefined;
    signal?.removeEventListener("abort", finish);
    settle();
  };

  if (!done) {
    unsubscribe = subscribe((value) => {
      if (done) return;
      queue.push(value);
      settle();
    }, finish);
    signal?.addEventListener("abort", finish);
  }

  const iterator: AsyncIterableIterator<T> = {
    next: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        settle();
      }),
    return() {
      finish();
      queue.length = 0;
      // Ended and empty now, so this resolves `{done: true}`.
      return iterator.next();
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

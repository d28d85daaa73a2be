/**
 * Push: one request to the server and its reply.
 * @module
 */
import { PushError } from "./errors";
import { assertFunction, safeCall } from "./emitter";
import type { Channel } from "./channel";
import type { PushStatus } from "./types";

/** The reply a push received: `{status, response}`, as in phoenix.js. */
export interface PushReply {
  status: string;
  response: unknown;
}

/** A `receive(status, callback)` registration kept in `push.recHooks`. */
export interface Hook {
  status: string;
  callback: (response: never) => void;
}

/** Callback of `receive(status, cb)`: the `ok` response is typed `R`, the others are `unknown`. */
export type ReceiveCallback<S extends PushStatus, R> = (response: S extends "ok" ? R : unknown) => void;

function timedOut(push: Push<unknown>): void {
  push.timeoutTimer = null;
  push.trigger("timeout", {});
}

const NO_HOOKS: Hook[] = [];

const noPayload = (): Record<string, never> => ({});

/**
 * A message pushed to a channel, waiting for its reply. Chain `receive()` hooks, or `await` it:
 * it resolves with the `ok` response and rejects with a {@link PushError} (`status` "error",
 * "timeout" or "dropped"). The promise is created only when awaited, so an ignored push never
 * produces an unhandled rejection.
 *
 * @example
 * ```ts
 * channel.push("new_msg", {body: "hi"})
 *   .receive("ok", resp => console.log("sent", resp))
 *   .receive("error", err => console.warn(err))
 *   .receive("timeout", () => console.warn("no reply"))
 * // or
 * const resp = await channel.push("new_msg", {body: "hi"})
 * ```
 */
export class Push<R = unknown> implements PromiseLike<R> {
  /** The channel pushed to. */
  channel: Channel;
  /** The event name. */
  event: string;
  /** Ms before the push times out. */
  timeout: number;
  /**
   * The ref of the message on the wire: undefined until first sent, null after a reset
   * (phoenix.js's values, which code written for it may compare against).
   */
  ref: string | null | undefined = undefined;
  /** The reply received, if any. */
  receivedResp: PushReply | null = null;
  /** The pending timeout. */
  timeoutTimer: ReturnType<typeof setTimeout> | null = null;
  /** The `receive()` hooks (a shared empty list until the first `receive()`, to spare an allocation per push). */
  recHooks: Hook[] = NO_HOOKS;
  /** True once `send()` ran. */
  sent = false;
  /**
   * @internal The payload as a value, or phoenix.js's function returning it. One field for both
   * (a payload on the wire is never a function): the function is made only when asked for.
   */
  _payload: unknown;
  /** @internal Where the push waits to be sent: 0 nowhere, 1 the channel's pushBuffer, 2 the socket's sendBuffer. */
  _buffered: 0 | 1 | 2 = 0;
  /** @internal The next push waiting on the same ref (only when makeRef repeats a ref). */
  _sameRef: Push<unknown> | null = null;
  /** @internal The promise `then()` made, if any. */
  _promise: Promise<R> | null = null;
  /** @internal Settles that promise with a reply; null when there is none or it is settled. */
  _settle: ((reply: PushReply) => void) | null = null;

  /**
   * @param payload the payload, or a function returning it (phoenix.js passes a function)
   */
  constructor(channel: Channel, event: string, payload: unknown, timeout: number) {
    this.channel = channel;
    this.event = event;
    this.timeout = timeout;
    this._payload = payload === undefined ? {} : payload;
  }

  /** The payload as a function, as in phoenix.js. */
  get payload(): () => unknown {
    const p = this._payload;
    return typeof p === "function" ? (p as () => unknown) : (this._payload = () => p);
  }
  set payload(fn: () => unknown) {
    this._payload = typeof fn === "function" ? fn : noPayload;
  }

  /** The reply event name phoenix.js binds for this push (`chan_reply_<ref>`). */
  get refEvent(): string | null {
    return this.ref == null ? null : this.channel.replyEventName(this.ref);
  }

  /** Sends again with a new ref and timeout. */
  resend(timeout: number): void {
    this.timeout = timeout;
    this.reset();
    this.send();
  }

  /** Puts the push on the wire (or in the socket's send buffer) and starts its timeout. */
  send(): void {
    const done = this.receivedResp?.status;
    if (done === "timeout" || done === "dropped") return;
    this.startTimeout();
    this.sent = true;
    const channel = this.channel;
    const p = this._payload;
    channel.socket.push({
      topic: channel.topic,
      event: this.event,
      payload: typeof p === "function" ? (p as () => unknown)() : p,
      // startTimeout() just set the ref; the join ref is set once the join was first sent.
      ref: this.ref as string,
      join_ref: channel.joinRef() as string | null,
    }, channel);
  }

  /**
   * Registers a callback for a status; fires at once if that reply already came. Chainable.
   */
  receive<S extends PushStatus>(status: S, callback: ReceiveCallback<S, R>): this;
  receive(status: string, callback: (response: unknown) => void): this;
  receive(status: string, callback: (response: never) => void): this {
    assertFunction(callback, `the "${status}" receive callback`);
    if (this.hasReceived(status)) safeCall(callback, (this.receivedResp as PushReply).response);
    (this.recHooks === NO_HOOKS ? (this.recHooks = []) : this.recHooks).push({ status, callback });
    return this;
  }

  /** Resolves with the `ok` response; rejects with a {@link PushError}. */
  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: PushError) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    // Made on first use, so an ignored push never produces an unhandled rejection.
    return (this._promise ??= new Promise<R>((resolve, reject) => {
      const settle = (this._settle = ({ status, response }) => {
        this._settle = null;
        if (status === "ok") resolve(response as R);
        else {
          const timedOut = status === "timeout";
          reject(new PushError(timedOut || status === "dropped" ? status : "error", timedOut ? undefined : response, this.event, this.channel.topic));
        }
      });
      if (this.receivedResp) settle(this.receivedResp);
    })).then(onfulfilled, onrejected as ((reason: unknown) => T2 | PromiseLike<T2>) | null);
  }

  /** Like `Promise.prototype.catch`. */
  catch<T = never>(onrejected?: ((reason: PushError) => T | PromiseLike<T>) | null): Promise<R | T> {
    return this.then(undefined, onrejected);
  }

  /** Forgets the reply and the ref, and cancels the timeout (before a resend). */
  reset(): void {
    this._stop();
    this.ref = this.receivedResp = null;
    this.sent = false;
  }

  /** Delivers a reply (or a local outcome such as "timeout") to the hooks. */
  trigger(status: string, response: unknown): void {
    // Through the channel, as phoenix.js does: onMessage hooks and refEvent bindings see it. An
    // unsent push has no refEvent, so nothing hears it (as in phoenix.js).
    if (this.ref != null) this.channel.trigger(this.refEvent as string, { status, response });
  }

  /** @internal A reply (or an outcome: timeout, dropped) arrived for this push. */
  _onReply(reply: PushReply): void {
    this._stop();
    this.receivedResp = reply;
    this.matchReceive(reply);
  }

  /** @internal A bounded buffer dropped this push. */
  _drop(reason: string): void {
    if (!this.hasReceived("dropped")) this._onReply({ status: "dropped", response: { reason } });
  }

  /** Leaves the buffer it waits in (a push that ends while buffered is never sent late), the reply registry and the timer. */
  private _stop(): void {
    const where = this._buffered;
    if (where) {
      this._buffered = 0;
      if (where === 2) this.channel.socket._unbufferSend(this as Push<unknown>);
      else {
        const buffer = this.channel.pushBuffer;
        const i = buffer.indexOf(this as Push<unknown>);
        // Buffered pushes mostly end in order, so the head is the usual case (and shift() is cheap there).
        if (i === 0) buffer.shift();
        else if (i > 0) buffer.splice(i, 1);
      }
    }
    this.cancelRefEvent();
    this.cancelTimeout();
  }

  /** Runs the hooks registered for the reply's status. */
  matchReceive(reply: PushReply): void {
    const { status, response } = reply;
    const channel = this.channel;
    if (channel.joinPush === this) channel._onJoinReply(status, response);
    const hooks = this.recHooks;
    for (let i = 0, n = hooks.length; i < n; i++) {
      const hook = hooks[i] as Hook;
      if (hook.status === status) safeCall(hook.callback, response);
    }
    this._settle?.(reply);
  }

  /** Forgets the ref's reply registration. */
  cancelRefEvent(): void {
    const ref = this.ref;
    if (ref == null) return;
    const replies = this.channel.socket._replies;
    const key = String(ref);
    const next = this._sameRef;
    let p: Push<unknown> | null | undefined = replies.get(key);
    if (p === this) {
      if (next) replies.set(key, next);
      else replies.delete(key);
    } else {
      // Only when makeRef() repeats itself (a test stub): unlink from the chain of that ref.
      for (; p; p = p._sameRef) if (p._sameRef === this) p._sameRef = next;
    }
    this._sameRef = null;
  }

  /** Cancels the timeout. */
  cancelTimeout(): void {
    // clearTimeout(null) does nothing on every platform.
    clearTimeout(this.timeoutTimer as ReturnType<typeof setTimeout>);
    this.timeoutTimer = null;
  }

  /** Takes a new ref, registers for its reply, and starts the timeout. */
  startTimeout(): void {
    this.cancelTimeout();
    this.cancelRefEvent();
    const socket = this.channel.socket;
    const ref = socket.makeRef();
    this.ref = ref;
    // Keyed by the ref as a string: replies carry strings, a stubbed makeRef may return numbers.
    const key = String(ref);
    const replies = socket._replies;
    let tail = replies.get(key);
    if (!tail) replies.set(key, this as Push<unknown>);
    else {
      // A ref handed out twice (makeRef stubbed in a test): like phoenix.js's refEvent bindings,
      // every push waiting on it gets the reply, oldest first.
      while (tail._sameRef) tail = tail._sameRef;
      tail._sameRef = this as Push<unknown>;
    }
    // Passing `this` as an argument avoids allocating a closure per push on the hot path.
    this.timeoutTimer = setTimeout(timedOut, this.timeout, this) as unknown as ReturnType<typeof setTimeout>;
  }

  /** True if a reply with this status was received. */
  hasReceived(status: string): boolean {
    return this.receivedResp?.status === status;
  }
}

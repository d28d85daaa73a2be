/// <reference lib="esnext.disposable" />
/**
 * Channel: one topic joined over a socket — state machine, bindings, push buffer, rejoin.
 * @module
 */
import type { ChannelState } from "./protocol";
import { PushError, UsageError } from "./errors";
import { assertFunction, isThenable, iterate, rethrowAsync, safeCall, type IterateOptions } from "./emitter";
import { Push, type PushReply } from "./push";
import { Timer } from "./timer";
import type { Socket } from "./socket";
import type {
  Binding,
  BindingCallback,
  ChannelLifecycleState,
  ChannelOptions,
  EventMap,
  InEvent,
  InPayload,
  JoinReplyOf,
  OutEvent,
  OutPayload,
  Params,
  ParamsInput,
  ReplyOf,
  StateChange,
  UntypedEvents,
} from "./types";

/** One channel state transition, as `channel.onStateChange` reports it. */
export type ChannelStateChange = StateChange<ChannelLifecycleState>;

/** The reply entries `channel.bindings` lists for waiting pushes (told apart when assigned back). */
const replyEntries = new WeakSet<Binding>();

/** Join params as kept: the value, or the function that gives it (phoenix.js's shape). */
type ParamsSource = Params | (() => Params | PromiseLike<Params>);

/**
 * A channel on a topic. Create it with `socket.channel(topic, params)`, then `join()`.
 *
 * @example
 * ```ts
 * const room = socket.channel("room:lobby", {token})
 * room.on("new_msg", msg => console.log(msg))
 * await room.join()
 * await room.push("new_msg", {body: "hello"})
 * ```
 */
export class Channel<E extends EventMap = UntypedEvents> {
  /** The topic. */
  topic: string;

  /** The socket this channel belongs to. */
  socket: Socket;
  /** Your bindings, in the order `on()` added them: what `trigger()` runs. */
  private _bindings: Binding[] = [];
  /** Counter behind the refs `on()` returns. */
  bindingRef = 0;
  /** Default push timeout, ms. */
  timeout: number;
  /** True once `join()` was called. */
  joinedOnce = false;
  /** The join push (resent on every rejoin). */
  joinPush: Push<JoinReplyOf<E>>;
  /** Pushes made before the channel could send them. */
  pushBuffer: Push<unknown>[] = [];
  /** Kept for phoenix.js compatibility; the socket drives channels directly, so this stays empty. */
  stateChangeRefs: string[] = [];
  /** Schedules rejoins after errors. */
  rejoinTimer: Timer;
  /**
   * Hook over every inbound payload; must return the payload (modified or not).
   * Assign your own to transform payloads before bindings see them.
   */
  onMessage: (event: string, payload: unknown, ref?: string | null, joinRef?: string | null) => unknown = passThrough;

  // One field for object or function params: the function phoenix.js exposes is made only when asked for.
  private _params!: ParamsSource;
  private _state: ChannelState = "closed";
  // State listeners, streams' included: a plain set (registration order; a listener may unsubscribe
  // while called). `null` tells them the channel is disposed.
  private _listeners: Set<(change: ChannelStateChange | null) => void> | null = null;
  private _options: ChannelOptions | undefined;
  private _attempts = 0;
  private _failed = false;
  // Bumped whenever a pending async params lookup must no longer send the join.
  private _paramsClock = 0;
  private _hasReplyBindings = false;

  constructor(topic: string, params: ParamsInput | undefined, socket: Socket, options?: ChannelOptions) {
    assertString("channel topic", topic);
    this.topic = topic;
    this.params = params;
    this.socket = socket;
    // phoenix.js registers two socket callbacks per channel here; we dispatch to channels directly,
    // but take the same two refs so refs on the wire (and in tests written for it) line up. They
    // name no callback, so they are not kept (about 50 bytes per channel). Suites written for
    // phoenix.js build channels on a stub socket with only `timeout`, `onOpen` and `onError`.
    socket.makeRef?.();
    socket.makeRef?.();
    this.timeout = socket.timeout;
    this._options = options;
    // As in phoenix.js, `joinPush.payload()` gives the params even before the first join.
    this.joinPush = new Push<JoinReplyOf<E>>(this as unknown as Channel, "phx_join", this._params, this.timeout);
    this.rejoinTimer = new Timer(rejoinTick as unknown as (arg?: never) => void, socket.rejoinAfterMs, this);
  }

  /** Join params, always a function (re-read on every rejoin; may return a promise). */
  get params(): () => Params | PromiseLike<Params> {
    const p = this._params;
    return typeof p === "function" ? p : (this._params = () => p);
  }
  set params(value: ParamsInput | undefined) {
    // Any object is read as a key/value record (an interface-typed value has no index signature).
    this._params = (value ?? {}) as ParamsSource;
  }

  /** The channel state: closed, joining, joined, leaving or errored. */
  get state(): ChannelState {
    return this._state;
  }
  set state(next: ChannelState) {
    this._setState(next, "set");
  }

  /** True when the channel gave up rejoining (see the `rejoin` option). */
  get failed(): boolean {
    return this._failed;
  }

  /**
   * Joins the topic. Call once per instance (again only after `leave()` completed or a final failure).
   * @returns the join push: chain `receive()` or `await` it for the join reply.
   * @throws UsageError when called twice.
   */
  join(timeout: number = this.timeout): Push<JoinReplyOf<E>> {
    if (this.joinedOnce) {
      if (!this._failed && (this._state !== "closed" || this.socket._hasChannel(this as unknown as Channel))) {
        // phoenix.js's words: test suites written for it match them.
        throw new UsageError("tried to join multiple times. 'join' can only be called a single time per channel instance");
      }
      this.socket._addChannel(this as unknown as Channel);
      // A fresh promise for the new join.
      const push = this.joinPush;
      push._promise = push._settle = null;
      push.reset();
    }
    this._failed = false;
    this._attempts = 0;
    this.timeout = timeout;
    this.joinedOnce = true;
    this.rejoin();
    return this.joinPush;
  }

  /** Registers a callback for when the channel closes. */
  onClose(callback: BindingCallback<unknown>): number {
    return this.on("phx_close", callback as BindingCallback<InPayload<E, "phx_close">>);
  }

  /** Registers a callback for when the channel errors (the server crashed it, or the socket dropped). */
  onError(callback: (reason: unknown) => void): number {
    assertFunction(callback, "the error callback");
    return this.on("phx_error", (reason) => callback(reason));
  }

  /**
   * Binds a callback to a server event.
   * @returns a ref for `off(event, ref)`.
   */
  on<K extends InEvent<E>>(event: K, callback: BindingCallback<InPayload<E, K>>): number {
    assertString("channel.on() event", event);
    assertFunction(callback, `the "${event}" callback`);
    if (event.startsWith("chan_reply_")) this._hasReplyBindings = true;
    const ref = this.bindingRef++;
    this._bindings.push({ event, ref, callback: callback as BindingCallback<never> });
    return ref;
  }

  /**
   * Unbinds the callbacks of `event` (only the one with `ref`, if given). The channel's own
   * handling of replies, errors and closes is not a binding, so it cannot be removed by mistake.
   */
  off(event: InEvent<E> | (string & {}), ref?: number): void {
    this._bindings = this._bindings.filter((b) => b.event !== event || (ref !== undefined && ref !== b.ref));
  }

  /**
   * The bindings `{event, ref, callback}`, phoenix.js's field: yours, then, as phoenix.js lists
   * them, one `chan_reply_<ref>` entry per push of this channel waiting for its reply (its
   * callback answers that push; its `ref` is -1, which `off()` never matches, so the reply
   * cannot be unbound by mistake). Replies are matched by ref through a Map, not through these
   * entries. Assigning replaces your bindings; reply entries in the new list are ignored.
   * @example
   * ```ts
   * channel.bindings.filter((b) => b.event === "new_msg").length // callbacks bound to new_msg
   * ```
   */
  get bindings(): Binding[] {
    const waiting: Binding[] = [];
    // A stub socket (suites written for phoenix.js use one) has no reply registry.
    this.socket._replies?.forEach((push) => {
      for (let p: Push<unknown> | null | undefined = push; p; p = p._sameRef) {
        if (p.channel !== (this as unknown as Channel)) continue;
        const event = p.refEvent as string;
        const entry: Binding = { event, ref: -1, callback: (payload: never) => this.trigger(event, payload) };
        replyEntries.add(entry);
        waiting.push(entry);
      }
    });
    return waiting.length ? this._bindings.concat(waiting) : this._bindings;
  }
  set bindings(list: Binding[]) {
    this._bindings = list.filter((binding) => !replyEntries.has(binding));
  }

  /** True when pushes can go on the wire now. */
  canPush(): boolean {
    return this.socket.isConnected() && this._state === "joined";
  }

  /**
   * Pushes an event. Before the join completes it is buffered (see `maxBuffered`), and it
   * times out after `timeout` ms either way.
   * @throws UsageError when `join()` was never called.
   */
  push<K extends OutEvent<E>>(event: K, payload?: OutPayload<E, K>, timeout: number = this.timeout): Push<ReplyOf<E, K>> {
    assertString("channel.push() event", event);
    if (!this.joinedOnce) {
      throw new UsageError(`tried to push '${event}' to '${this.topic}' before joining. Use channel.join() before pushing events`);
    }
    // Any falsy payload (undefined, null) is sent as {}, as phoenix.js does.
    const push = new Push<ReplyOf<E, K>>(this as unknown as Channel, event, payload || {}, timeout);
    if (this.canPush()) {
      push.send();
    } else {
      push.startTimeout();
      this._buffer(push as Push<unknown>);
    }
    return push;
  }

  /**
   * Leaves the channel: the server is told, and the channel closes locally at once.
   * @returns the leave push.
   */
  leave(timeout: number = this.timeout): Push<unknown> {
    this.rejoinTimer.reset();
    this.joinPush.cancelTimeout();
    this._setState("leaving", "leave");
    const onClose = (): void => {
      this._log(`leave ${this.topic}`);
      this.trigger("phx_close", "leave");
    };
    const leavePush = new Push<unknown>(this as unknown as Channel, "phx_leave", {}, timeout);
    leavePush.receive("ok", onClose).receive("timeout", onClose).send();
    if (!this.canPush()) leavePush.trigger("ok", {});
    return leavePush;
  }

  /**
   * Leaves if joined, and frees everything: bindings, timers, buffered pushes (they receive
   * "dropped") and the socket's registry entry. The instance can be joined again afterwards.
   */
  dispose(): void {
    if (this._state === "joined" || this._state === "joining") this.leave();
    this._dropBuffered("channel disposed");
    this._bindings = [];
    this._hasReplyBindings = false;
    this._onClose("dispose");
    // Streams end even when the channel was already closed (no state change to see).
    this._emit(null);
    this._listeners = null;
  }

  /** `using channel = socket.channel(...)` disposes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * Reports every state transition (with reason, attempt and next retry delay).
   * @returns a function that unsubscribes.
   * @example
   * ```ts
   * channel.onStateChange(({from, to, reason}) => console.log(`${from} -> ${to}: ${reason}`))
   * ```
   */
  onStateChange(callback: (change: ChannelStateChange) => void): () => void {
    assertFunction(callback, "the state change callback");
    return this._listen((change) => change && safeCall(callback, change));
  }

  /**
   * An async iterator over the payloads of a server event. Ends when the channel closes or
   * disposes, when `signal` aborts, or when the loop breaks.
   * @example
   * ```ts
   * for await (const msg of channel.stream("new_msg", {signal})) render(msg)
   * ```
   */
  stream<K extends InEvent<E>>(event: K, options: IterateOptions = {}): AsyncIterableIterator<InPayload<E, K>> {
    return iterate<InPayload<E, K>>((push, end) => {
      // `push` takes the payload alone (the ref arguments bindings also get are ignored).
      const ref = this.on(event, push);
      const unlisten = this._listen((change) => {
        if (!change || change.to === "closed" || change.to === "failed") end();
      });
      return () => {
        this.off(event, ref);
        unlisten();
      };
    }, options);
  }

  /** Rejoins now (used on reconnect and by the rejoin timer). */
  rejoin(timeout: number = this.timeout): void {
    if (this._state === "leaving") return;
    // One argument, as phoenix.js calls it; the socket knows not to leave this very channel.
    const socket = this.socket;
    socket._joining = this as unknown as Channel;
    try {
      socket.leaveOpenTopic(this.topic);
    } finally {
      socket._joining = null;
    }
    this._setState("joining", "join");
    const clock = ++this._paramsClock;
    let params: unknown;
    try {
      const p = this._params;
      params = typeof p === "function" ? p() : p;
    } catch (error) {
      return this._paramsFailed(error);
    }
    // No closure on the common path: a join storm creates thousands of these at once.
    if (!isThenable(params)) return this._sendJoin(params, timeout);
    // Fresh credentials: used only while this join is still the current one.
    const current = (): boolean => clock === this._paramsClock && this._state === "joining";
    params.then(
      (value) => current() && this._sendJoin(value, timeout),
      (error: unknown) => current() && this._paramsFailed(error),
    );
  }

  /**
   * Delivers an inbound event: replies go to their push, then bindings run in order.
   * A throwing callback does not stop the others (its error is rethrown asynchronously).
   */
  trigger(event: string, payload?: unknown, ref?: string | null, joinRef?: string | null): void {
    let handled = payload;
    if (this.onMessage !== passThrough) {
      try {
        handled = this.onMessage(event, payload, ref, joinRef);
      } catch (error) {
        rethrowAsync(error);
      }
      if (payload && !handled) {
        this.socket._reportError(new UsageError("channel onMessage callbacks must return the payload, modified or unmodified"));
        handled = payload;
      }
    }
    if (event === "phx_reply") {
      if (ref != null) this._answer(String(ref), handled);
    } else if (event.charCodeAt(0) === 99 /* c */ && event.startsWith("chan_reply_")) {
      // `push.trigger()`, and code written for phoenix.js, answer a push through its refEvent.
      this._answer(event.slice(11), handled);
    } else if (event === "phx_close") {
      this._onClose();
    } else if (event === "phx_error") {
      this._onError(handled);
    }
    const bindings = this._bindings;
    const n = bindings.length;
    if (n) {
      const jr = joinRef == null ? this.joinRef() : joinRef;
      for (let i = 0; i < n; i++) {
        const binding = bindings[i] as Binding;
        if (binding.event === event) safeCall(binding.callback as BindingCallback, handled, ref, jr);
      }
      if (this._hasReplyBindings && event === "phx_reply" && ref != null) {
        this.trigger(this.replyEventName(ref), handled);
      }
    }
  }

  /** phoenix.js's per-push reply event name. */
  replyEventName(ref: string): string {
    return `chan_reply_${ref}`;
  }

  /** The ref of the current join, which stamps every message of this channel instance (undefined before the first join). */
  joinRef(): string | null | undefined {
    return this.joinPush.ref;
  }

  /** True if a message belongs to this channel instance (right topic, current join). */
  isMember(topic: string, event: string, payload: unknown, joinRef: string | null | undefined): boolean {
    if (this.topic !== topic) return false;
    if (!joinRef || joinRef === this.joinRef()) return true;
    this._log("dropping outdated message", { topic, event, payload, joinRef });
    return false;
  }

  isClosed(): boolean {
    return this._state === "closed";
  }
  isErrored(): boolean {
    return this._state === "errored";
  }
  isJoined(): boolean {
    return this._state === "joined";
  }
  isJoining(): boolean {
    return this._state === "joining";
  }
  isLeaving(): boolean {
    return this._state === "leaving";
  }

  // ------------------------------------------------------------------ internals

  /** @internal The join push got a reply or an outcome. */
  _onJoinReply(status: string, response: unknown): void {
    let timedOut;
    if (status === "ok") {
      this._attempts = 0;
      this.rejoinTimer.reset();
      this._setState("joined", "joined");
      const buffered = this.pushBuffer;
      if (buffered.length) {
        this.pushBuffer = [];
        for (const push of buffered) {
          push._buffered = 0;
          push.send();
        }
      }
    } else if (status === "dropped") {
      // The socket buffer dropped the join: stay errored, the next socket open rejoins.
      this._setState("errored", "join dropped");
    } else if ((timedOut = status === "timeout") || status === "error") {
      if (timedOut) {
        this._log(`timeout ${this.topic} (${this.joinRef()})`, this.joinPush.timeout);
        new Push<unknown>(this as unknown as Channel, "phx_leave", {}, this.timeout).send();
        this.joinPush.reset();
        // A timeout has no server reply for `stopOn` to judge, nor an error to report.
        response = undefined;
      }
      const reason = `join ${status}`;
      this._attempts++;
      this._state = "errored";
      if (this._shouldStop(response)) {
        // Give up: no more rejoins (not even on reconnect) until `join()` is called again.
        this._failed = true;
        this.rejoinTimer.reset();
        this._dropBuffered(`channel failed: ${reason}`);
        this._emit("errored", "failed", reason, response);
        this._log(`gave up joining ${this.topic}: ${reason}`, response);
      } else this._errored("joining", reason, response);
    }
  }

  /** @internal Hands a reply to the push(es) of this channel waiting on `ref`. */
  _answer(ref: string, payload: unknown): void {
    const push = this.socket._replies.get(ref);
    if (!push) return;
    if (!push._sameRef) {
      if (push.channel === (this as unknown as Channel)) push._onReply(asReply(payload));
      return;
    }
    const waiting: Push<unknown>[] = [];
    for (let p: Push<unknown> | null = push; p; p = p._sameRef) if (p.channel === (this as unknown as Channel)) waiting.push(p);
    for (const p of waiting) p._onReply(asReply(payload));
  }

  /** @internal Called by the socket on (re)open. */
  _onSocketOpen(): void {
    this.rejoinTimer.reset();
    if (this._state === "errored" && !this._failed) this.rejoin();
  }

  /** @internal Drops every buffered push (dispose, final join failure). */
  _dropBuffered(reason: string): void {
    const buffered = this.pushBuffer;
    this.pushBuffer = [];
    // Each leaves the (old) buffer by itself.
    for (const push of buffered) push._drop(reason);
  }

  private _buffer(push: Push<unknown>): void {
    const options = this._options;
    const socket = this.socket;
    const max = options?.maxBuffered ?? socket.maxBuffered;
    const buffer = this.pushBuffer;
    if (buffer.length >= max) {
      const policy = options?.onOverflow ?? socket.onOverflow;
      // A dropped push leaves the buffer itself.
      const victim = policy === "reject" || max <= 0 ? push : (buffer[policy === "drop-newest" ? buffer.length - 1 : 0] as Push<unknown>);
      victim._drop("push buffer full");
      if (victim === push) return socket._reportError(new PushError("dropped", undefined, push.event, this.topic));
    }
    push._buffered = 1;
    buffer.push(push);
  }

  private _shouldStop(reply: unknown): boolean {
    const policy = this._options?.rejoin;
    if (!policy) return false;
    if (reply !== undefined && policy.stopOn) {
      try {
        if (policy.stopOn(reply) === true) return true;
      } catch (error) {
        this.socket._reportError(error);
      }
    }
    return this._attempts >= (policy.maxAttempts ?? Infinity);
  }

  private _sendJoin(params: unknown, timeout: number): void {
    this.joinPush._payload = params ?? {};
    this.joinPush.resend(timeout);
  }

  private _paramsFailed(error: unknown): void {
    this.socket._reportError(error);
    this._errored("joining", "join params failed", error);
  }

  /** Errored: retry on the rejoin schedule while connected (unless the channel gave up). */
  private _errored(from: ChannelState, reason: string, error: unknown): void {
    this._state = "errored";
    if (this.socket.isConnected() && !this._failed) this.rejoinTimer.scheduleTimeout();
    if (from !== "errored") this._emit(from, "errored", reason, error);
  }

  /** Closed (by the server, a completed leave, or `dispose()`): nothing stays scheduled or registered. */
  private _onClose(reason = "closed"): void {
    this.rejoinTimer.reset();
    this.joinPush.cancelTimeout();
    this.joinPush.cancelRefEvent();
    // A pending params lookup must not send a join any more.
    this._paramsClock++;
    this._log(`close ${this.topic} ${this.joinRef()}`);
    this._setState("closed", reason);
    this.socket.remove(this as unknown as Channel);
  }

  private _onError(reason: unknown): void {
    this._log(`error ${this.topic}`, reason);
    const from = this._state;
    if (from === "joining") this.joinPush.reset();
    this._paramsClock++;
    this._errored(from, "error", reason);
  }

  private _log(msg: string, data?: unknown): void {
    const socket = this.socket;
    if (socket.hasLogger()) socket.log("channel", msg, data);
  }

  private _listen(listener: (change: ChannelStateChange | null) => void): () => void {
    const listeners = (this._listeners ??= new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  private _setState(next: ChannelState, reason: string): void {
    const from = this._state;
    if (from !== next) {
      this._state = next;
      this._emit(from, next, reason);
    }
  }

  /** Tells the listeners of a change, or of the disposal (`from` null). */
  private _emit(from: ChannelLifecycleState | null, to?: ChannelLifecycleState, reason?: string, error?: unknown): void {
    const listeners = this._listeners;
    if (!listeners?.size) return;
    let change: ChannelStateChange | null = null;
    if (from) {
      change = { from, to: to as ChannelLifecycleState, reason: reason as string, attempt: this._attempts, nextRetryInMs: this.rejoinTimer.nextDelayMs };
      if (error !== undefined) change.error = error;
    }
    // A snapshot: listeners added by a listener wait for the next change.
    for (const listener of [...listeners]) listener(change);
  }
}

function rejoinTick(channel: Channel): void {
  if (channel.socket.isConnected()) channel.rejoin();
}

function assertString(what: string, value: unknown): void {
  if (typeof value !== "string") throw new UsageError(`${what} must be a string, got ${typeof value}`);
}

/** A reply payload as a push takes it: a malformed one still ends the push (as an error), never leaves it waiting. */
function asReply(payload: unknown): PushReply {
  return payload !== null && typeof payload === "object" && typeof (payload as { status?: unknown }).status === "string"
    ? (payload as PushReply)
    : { status: "error", response: payload };
}

function passThrough(_event: string, payload: unknown): unknown {
  return payload;
}

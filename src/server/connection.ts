/**
 * One client connection, whatever transport carries it: decodes frames, routes them to channels,
 * and answers the protocol's control events exactly as Phoenix does.
 * @module
 */
import { DecodeError } from "../errors";
import { CHANNEL_EVENTS, PHOENIX_TOPIC, type Message } from "../protocol";
import { ChannelProcess, type ChannelHost } from "./channel";
import type { TransportSink, ServerConnection } from "./transport";
import type { Assigns, ChannelDef, ConnectInfo, HandleInResult, JoinResult, Payload } from "./types";
import { decodeFor, encodeFor, type Vsn } from "./wire";

/** What a connection needs from the socket mount it belongs to. */
export interface ConnectionHost {
  route(topic: string): ChannelDef | undefined;
  readonly maxChannels: number;
  readonly endpoint: ChannelHost["endpoint"] & {
    subscribe(topic: string, ch: ChannelProcess): void;
    unsubscribe(topic: string, ch: ChannelProcess): void;
  };
  reportError(message: string, meta: Record<string, unknown>): void;
  /** The connection ended: forget it (socket-id registry). */
  forget(conn: Connection): void;
}

const UNMATCHED = { reason: "unmatched topic" } as const;
/**
 * Frames waiting behind a slow (async) join or handleIn. A client that keeps sending past this
 * is closed with 1008 (policy violation) instead of growing the server's memory without bound.
 */
export const MAX_PENDING_FRAMES = 10_000;

function isPromise<T>(v: unknown): v is PromiseLike<T> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/** A live client connection. */
export class Connection implements ServerConnection, ChannelHost {
  private readonly channels = new Map<string, ChannelProcess>();
  private readonly queue: Message[] = [];
  private busy = false;
  private ended = false;
  /** The channel whose (async) join is running, so a dropped connection can end it too. */
  private joining: ChannelProcess | undefined;

  constructor(
    readonly vsn: Vsn,
    readonly assigns: Assigns,
    readonly id: string | null,
    readonly connectInfo: ConnectInfo,
    private readonly sink: TransportSink,
    private readonly host: ConnectionHost,
  ) {}

  get endpoint(): ChannelHost["endpoint"] {
    return this.host.endpoint;
  }

  /** Topics joined on this connection. */
  get topics(): string[] {
    return [...this.channels.keys()];
  }

  /** The joined channel for `topic`, if any. */
  channel(topic: string): ChannelProcess | undefined {
    return this.channels.get(topic);
  }

  receive(raw: string | Uint8Array): boolean {
    if (this.ended) return true;
    let msg: Message;
    try {
      msg = decodeFor(this.vsn, raw);
    } catch (err) {
      const odd = this.oddTopic(raw, err);
      if (!odd) return false;
      msg = odd;
    }
    if (this.queue.length >= MAX_PENDING_FRAMES) {
      this.reportError("too many frames pending behind a slow callback; closing the connection", { pending: this.queue.length });
      this.close(1008, "too many pending messages");
      return true;
    }
    this.queue.push(msg);
    if (!this.busy) this.drain();
    return true;
  }

  /**
   * Phoenix's V2 decoder does not type-check the topic: a 5-element array whose topic is a number
   * is routed, matches nothing, and gets "unmatched topic" echoing that topic. Reproduce that one
   * case; every other shape error is a decode failure.
   */
  private oddTopic(raw: string | Uint8Array, err: unknown): Message | undefined {
    if (this.vsn !== "2.0.0" || typeof raw !== "string" || !(err instanceof DecodeError) || err.reason !== "wrong_type") {
      return undefined;
    }
    const arr = JSON.parse(raw) as unknown[];
    const [joinRef, ref, topic, event] = arr;
    const okRef = (v: unknown) => v === null || typeof v === "string";
    if (!okRef(joinRef) || !okRef(ref) || typeof event !== "string" || typeof topic === "string") return undefined;
    if (topic === null || typeof topic === "object") return undefined;
    return { join_ref: joinRef as string | null, ref: ref as string | null, topic: topic as unknown as string, event, payload: arr[4] };
  }

  terminate(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    const chans = [...this.channels.values()];
    this.channels.clear();
    for (const ch of chans) {
      this.host.endpoint.unsubscribe(ch.topic, ch);
      ch.end(reason);
    }
    this.joining?.end(reason);
    this.joining = undefined;
    this.host.forget(this);
  }

  /** Closes the transport (and so the connection) with a WebSocket close code. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.sink.close(code, reason);
    this.terminate("closed");
  }

  send(msg: Message): void {
    if (this.ended) return;
    let frame: string | Uint8Array;
    try {
      frame = encodeFor(this.vsn, msg);
    } catch (err) {
      this.reportError("could not encode a message for this client", { topic: msg.topic, event: msg.event, error: err });
      return;
    }
    this.sink.send(frame);
  }

  sendFrame(frame: string | Uint8Array): void {
    if (!this.ended) this.sink.send(frame);
  }

  reportError(message: string, meta: Record<string, unknown>): void {
    this.host.reportError(message, meta);
  }

  // ------------------------------------------------------------ dispatch

  /**
   * Messages are handled one at a time, in order. An async join or handleIn holds the queue, so
   * (as with Phoenix, whose socket waits for a channel's join) later frames wait for it.
   */
  private drain(): void {
    while (!this.ended && this.queue.length > 0) {
      const msg = this.queue.shift() as Message;
      let pending: Promise<void> | undefined;
      try {
        pending = this.dispatch(msg);
      } catch (err) {
        this.reportError("unexpected error handling a message", { topic: msg.topic, event: msg.event, error: err });
      }
      if (pending) {
        this.busy = true;
        pending.then(
          () => this.resume(),
          (err: unknown) => {
            this.reportError("unexpected error handling a message", { topic: msg.topic, event: msg.event, error: err });
            this.resume();
          },
        );
        return;
      }
    }
  }

  private resume(): void {
    this.busy = false;
    this.drain();
  }

  private reply(joinRef: string | null, ref: string | null, topic: string, status: "ok" | "error", response: Payload): void {
    this.send({ join_ref: joinRef, ref, topic, event: CHANNEL_EVENTS.reply, payload: { response, status } });
  }

  private dispatch(msg: Message): Promise<void> | undefined {
    const { topic, event } = msg;
    if (topic === PHOENIX_TOPIC && event === "heartbeat") {
      this.reply(null, msg.ref, PHOENIX_TOPIC, "ok", {});
      return undefined;
    }
    if (event === CHANNEL_EVENTS.join) return this.join(msg);
    const ch = this.channels.get(topic);
    if (!ch) {
      this.reply(null, msg.ref, topic, "error", UNMATCHED);
      return undefined;
    }
    // Phoenix 1.8: a message for a joined topic that carries another join_ref belongs to an
    // earlier incarnation of the channel and is dropped without an answer.
    if (ch.joinRef !== null && msg.join_ref !== ch.joinRef) return undefined;
    if (event === CHANNEL_EVENTS.leave) {
      this.reply(ch.joinRef, msg.ref, topic, "ok", {});
      this.closeChannel(ch, "leave", CHANNEL_EVENTS.close);
      return undefined;
    }
    return this.handleIn(ch, msg);
  }

  private join(msg: Message): Promise<void> | undefined {
    const { topic } = msg;
    const def = typeof topic === "string" ? this.host.route(topic) : undefined;
    if (!def) {
      this.reply(null, msg.ref, topic, "error", UNMATCHED);
      return undefined;
    }
    const existing = this.channels.get(topic);
    if (!existing && this.channels.size >= this.host.maxChannels) {
      this.reply(msg.join_ref, msg.ref, topic, "error", { reason: "too many channels joined" });
      return undefined;
    }
    // Phoenix shuts the old channel down before joining again; its phx_close follows the new reply.
    if (existing) {
      this.channels.delete(topic);
      this.host.endpoint.unsubscribe(topic, existing);
      existing.end("duplicate_join");
    }
    const ch = new ChannelProcess(topic, msg.join_ref, def, this, this.assigns);
    const finish = (result: JoinResult | undefined, crashed: unknown): void => {
      if (this.joining === ch) this.joining = undefined;
      if (this.ended) return;
      if (crashed !== undefined || !isJoinResult(result)) {
        if (crashed === undefined) this.reportError("join returned neither {ok} nor {error}", { topic, result });
        else this.reportError("channel join crashed", { topic, error: crashed });
        this.reply(msg.join_ref, msg.ref, topic, "error", { reason: "join crashed" });
        ch.end("crash");
      } else if ("error" in result) {
        this.reply(msg.join_ref, msg.ref, topic, "error", result.error);
        ch.end("refused");
      } else {
        this.reply(msg.join_ref, msg.ref, topic, "ok", result.reply ?? {});
        this.channels.set(topic, ch);
        this.host.endpoint.subscribe(topic, ch);
        ch.markJoined();
      }
      if (existing) this.closeFrame(existing, CHANNEL_EVENTS.close);
    };
    let result: JoinResult | PromiseLike<JoinResult>;
    try {
      result = def.join(topic, msg.payload, ch);
    } catch (err) {
      finish(undefined, err ?? new Error("join threw"));
      return undefined;
    }
    if (!isPromise<JoinResult>(result)) {
      finish(result, undefined);
      return undefined;
    }
    this.joining = ch;
    return Promise.resolve(result).then(
      (r) => finish(r, undefined),
      (err: unknown) => finish(undefined, err ?? new Error("join rejected")),
    );
  }

  private handleIn(ch: ChannelProcess, msg: Message): Promise<void> | undefined {
    const finish = (result: HandleInResult | undefined, crashed: unknown): void => {
      if (this.ended || ch.closed) return;
      if (crashed !== undefined) {
        this.reportError("channel crashed in handleIn", { topic: ch.topic, event: msg.event, error: crashed });
        this.closeChannel(ch, "crash", CHANNEL_EVENTS.error);
      } else if (result && "reply" in result && (result.reply === "ok" || result.reply === "error")) {
        this.reply(ch.joinRef, msg.ref, ch.topic, result.reply, result.response ?? {});
      } else if (result && "noreply" in result && result.noreply === true) {
        // nothing goes back
      } else if (result && "stop" in result && result.stop === true) {
        this.closeChannel(ch, result.reason ?? "normal", CHANNEL_EVENTS.close);
      } else {
        this.reportError("handleIn returned neither a reply, noreply nor stop", { topic: ch.topic, event: msg.event, result });
        this.closeChannel(ch, "crash", CHANNEL_EVENTS.error);
      }
    };
    const handler = ch.def.handleIn;
    let result: HandleInResult | PromiseLike<HandleInResult>;
    try {
      if (!handler) throw new Error(`no handleIn for event "${msg.event}"`);
      result = handler.call(ch.def, msg.event, msg.payload, ch);
    } catch (err) {
      finish(undefined, err ?? new Error("handleIn threw"));
      return undefined;
    }
    if (!isPromise<HandleInResult>(result)) {
      finish(result, undefined);
      return undefined;
    }
    return Promise.resolve(result).then(
      (r) => finish(r, undefined),
      (err: unknown) => finish(undefined, err ?? new Error("handleIn rejected")),
    );
  }

  /** phx_close / phx_error carry the channel's join_ref in both ref slots. */
  private closeFrame(ch: ChannelProcess, event: string): void {
    this.send({ join_ref: ch.joinRef, ref: ch.joinRef, topic: ch.topic, event, payload: {} });
  }

  private closeChannel(ch: ChannelProcess, reason: string, event: string): void {
    if (this.channels.get(ch.topic) === ch) this.channels.delete(ch.topic);
    this.host.endpoint.unsubscribe(ch.topic, ch);
    this.closeFrame(ch, event);
    ch.end(reason);
  }

  /** Ends one channel from the server side (e.g. endpoint-initiated), sending phx_close. */
  leave(topic: string): void {
    const ch = this.channels.get(topic);
    if (ch) this.closeChannel(ch, "shutdown", CHANNEL_EVENTS.close);
  }
}

function isJoinResult(v: unknown): v is JoinResult {
  if (typeof v !== "object" || v === null) return false;
  return (v as { ok?: unknown }).ok === true || "error" in v;
}

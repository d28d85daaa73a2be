/**
 * One joined channel on one connection: the `socket` its callbacks receive, and its lifecycle.
 * @module
 */
import type { Message } from "../protocol";
import type { Subscriber } from "./pubsub";
import type { Assigns, ChannelDef, ChannelSocket, ConnectInfo, EndpointLike, Payload } from "./types";
import type { Vsn } from "./wire";

/** What a channel needs from its connection. */
export interface ChannelHost {
  readonly vsn: Vsn;
  readonly id: string | null;
  readonly connectInfo: ConnectInfo;
  readonly endpoint: EndpointLike & {
    broadcastFromSubscriber(from: Subscriber, topic: string, event: string, payload: Payload): void;
  };
  send(msg: Message): void;
  sendFrame(frame: string | Uint8Array): void;
  reportError(message: string, meta: Record<string, unknown>): void;
}

type State = "joining" | "joined" | "closed";

/** A channel instance; implements the {@link ChannelSocket} its callbacks see. */
export class ChannelProcess implements ChannelSocket, Subscriber {
  assigns: Assigns;
  private state: State = "joining";
  private early: Array<[string, Payload]> = [];
  private terminateCbs: Array<(reason: string) => void> = [];
  private afterJoinCbs: Array<() => void> = [];

  constructor(
    readonly topic: string,
    readonly joinRef: string | null,
    readonly def: ChannelDef,
    private readonly host: ChannelHost,
    assigns: Assigns,
  ) {
    // A copy: a channel's assigns are its own, as in Phoenix, seeded from the connection's.
    this.assigns = { ...assigns };
  }

  get vsn(): Vsn {
    return this.host.vsn;
  }
  get id(): string | null {
    return this.host.id;
  }
  get connectInfo(): ConnectInfo {
    return this.host.connectInfo;
  }
  get endpoint(): EndpointLike {
    return this.host.endpoint;
  }
  get joined(): boolean {
    return this.state === "joined";
  }
  get closed(): boolean {
    return this.state === "closed";
  }

  push(event: string, payload: Payload): void {
    if (this.state === "closed") return;
    // Pushes made inside join() go out after the join reply, as a Phoenix channel's would.
    if (this.state === "joining") {
      this.early.push([event, payload]);
      return;
    }
    this.host.send({ join_ref: this.joinRef, ref: null, topic: this.topic, event, payload });
  }

  broadcast(event: string, payload: Payload): void {
    this.host.endpoint.broadcast(this.topic, event, payload);
  }

  broadcastFrom(event: string, payload: Payload): void {
    this.host.endpoint.broadcastFromSubscriber(this, this.topic, event, payload);
  }

  onTerminate(cb: (reason: string) => void): void {
    if (this.state === "closed") return;
    this.terminateCbs.push(cb);
  }

  afterJoin(cb: () => void): void {
    if (this.state === "closed") return;
    if (this.state === "joined") queueMicrotask(() => this.state === "joined" && this.safely("afterJoin", cb));
    else this.afterJoinCbs.push(cb);
  }

  deliver(frame: string | Uint8Array): void {
    if (this.state === "joined") this.host.sendFrame(frame);
  }

  /** Called by the connection right after the join reply went out and the topic was subscribed. */
  markJoined(): void {
    if (this.state !== "joining") return;
    this.state = "joined";
    const early = this.early;
    this.early = [];
    for (const [event, payload] of early) this.push(event, payload);
    const cbs = this.afterJoinCbs;
    this.afterJoinCbs = [];
    for (const cb of cbs) {
      if (this.state !== "joined") break;
      this.safely("afterJoin", cb);
    }
  }

  /** Ends the channel once: runs onTerminate callbacks, then the definition's `terminate`. */
  end(reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.early = [];
    this.afterJoinCbs = [];
    const cbs = this.terminateCbs;
    this.terminateCbs = [];
    for (const cb of cbs) this.safely("onTerminate", () => cb(reason));
    const terminate = this.def.terminate;
    if (terminate) this.safely("terminate", () => terminate.call(this.def, reason, this));
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.host.reportError(`channel ${what} callback threw`, { topic: this.topic, error: err });
    }
  }
}

/**
 * In-process topic fan-out. Each broadcast is encoded once per serializer version, however many
 * subscribers it reaches.
 * @module
 */
import type { Message } from "../protocol";
import { encodeFor, type Vsn } from "./wire";

/** Something subscribed to a topic: a joined channel. */
export interface Subscriber {
  readonly vsn: Vsn;
  /** Delivers an already encoded broadcast frame. */
  deliver(frame: string | Uint8Array): void;
}

/** Topic → subscribers, with per-vsn encode caching. */
export class PubSub {
  private readonly topics = new Map<string, Set<Subscriber>>();

  subscribe(topic: string, sub: Subscriber): void {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(sub);
  }

  unsubscribe(topic: string, sub: Subscriber): void {
    const set = this.topics.get(topic);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.topics.delete(topic);
  }

  /** Number of subscribers of `topic`. */
  count(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  /**
   * Sends `[null, null, topic, event, payload]` to every subscriber but `except`.
   * @returns how many subscribers it reached.
   */
  broadcast(topic: string, event: string, payload: unknown, except?: Subscriber): number {
    const set = this.topics.get(topic);
    if (!set || set.size === 0) return 0;
    const msg: Message = { join_ref: null, ref: null, topic, event, payload };
    let v1: string | Uint8Array | undefined;
    let v2: string | Uint8Array | undefined;
    let n = 0;
    // Copy first: a delivery may close a connection, which unsubscribes while we iterate.
    for (const sub of [...set]) {
      if (sub === except) continue;
      let frame: string | Uint8Array;
      try {
        frame = sub.vsn === "2.0.0" ? (v2 ??= encodeFor("2.0.0", msg)) : (v1 ??= encodeFor("1.0.0", msg));
      } catch {
        continue; // e.g. binary payload to a V1 client: that serializer cannot carry it
      }
      sub.deliver(frame);
      n++;
    }
    return n;
  }
}

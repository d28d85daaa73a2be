/**
 * Server-side framing on top of `src/serializer.ts`: picks the serializer by vsn and lays JSON
 * out the way Phoenix (Jason) does, so answers match real Phoenix byte for byte.
 * @module
 */
import { decodeClientV2, decodeV1, encodeServerV2, encodeV1, isBinary } from "../serializer";
import type { Message } from "../protocol";

/** The serializer versions a socket can speak, as Phoenix resolves `vsn` ("~> 1.0.0" / "~> 2.0.0"). */
export type Vsn = "1.0.0" | "2.0.0";

/** Maps the `vsn` query value to a serializer; null (absent) means V1, as Phoenix does. */
export function resolveVsn(vsn: string | null): Vsn | null {
  if (vsn === null) return "1.0.0";
  if (/^2\.0\.\d+$/.test(vsn)) return "2.0.0";
  if (/^1\.0\.\d+$/.test(vsn)) return "1.0.0";
  return null;
}

/**
 * Elixir maps of up to 32 keys iterate in sorted key order, so Jason writes object keys sorted
 * (`{"response":..,"status":..}`, V1 `{"event","payload","ref","topic"}`). We rebuild plain objects
 * with sorted keys to give the same bytes. Binary values and non-plain objects pass through.
 */
export function phoenixOrder(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (isBinary(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as unknown;
      const o = phoenixOrder(v);
      if (o !== v) (out ??= value.slice())[i] = o;
    }
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value; // Date, Map...: JSON.stringify decides
  const src = value as Record<string, unknown>;
  const keys = Object.keys(src);
  if (keys.length > 32) return value; // Elixir's large maps are hash-ordered: any order is faithful
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    // defineProperty so a "__proto__" key stays a plain key
    Object.defineProperty(out, k, { value: phoenixOrder(src[k]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Encodes one server message for a connection speaking `vsn`. */
export function encodeFor(vsn: Vsn, msg: Message): string | Uint8Array {
  const ordered: Message = { ...msg, payload: phoenixOrder(msg.payload) };
  if (vsn === "2.0.0") {
    const frame = encodeServerV2(ordered);
    return typeof frame === "string" ? frame : new Uint8Array(frame);
  }
  // Phoenix's V1 serializer sends topic/event/payload/ref (never join_ref) with Jason's sorted
  // keys, while encodeV1 writes them topic-first for clients. Same fields, Phoenix's layout; binary
  // is rejected by encodeV1's rule.
  if (isBinary(ordered.payload)) return encodeV1(ordered); // throws the EncodeError
  return JSON.stringify({ event: ordered.event, payload: ordered.payload, ref: ordered.ref, topic: ordered.topic });
}

/** Decodes one client frame for a connection speaking `vsn`. Throws DecodeError. */
export function decodeFor(vsn: Vsn, raw: string | Uint8Array): Message {
  return vsn === "2.0.0" ? decodeClientV2(raw) : decodeV1(raw);
}

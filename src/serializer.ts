/**
 * The wire formats: V2 JSON arrays, V2 binary frames, V1 JSON objects.
 * Pure functions with no I/O, shared by the client and the reference server.
 * Decoders throw {@link DecodeError}; encoders throw {@link EncodeError}.
 * @module
 */
import { DecodeError, EncodeError } from "./errors";
import { BINARY_KINDS, type Message } from "./protocol";

/** What a transport hands us: a text frame, or a binary one. */
export type RawFrame = string | ArrayBuffer | ArrayBufferView;
/** What an encoder produces for a transport to send. */
export type EncodedFrame = string | ArrayBuffer;

type Binary = ArrayBuffer | ArrayBufferView;

// Created on first use, not at import: nothing may touch globals at module scope.
let utf8Encoder: TextEncoder | undefined;
let utf8Decoder: TextDecoder | undefined;

/** True for an `ArrayBuffer` or a typed-array / DataView / Buffer view. */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

const asBytes = (frame: Binary): Uint8Array =>
  ArrayBuffer.isView(frame) ? new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength) : new Uint8Array(frame);

/** ASCII fast path: most refs, topics and events are ASCII, and TextEncoder is slow on tiny strings. */
function utf8(value: string): Uint8Array {
  const out = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 127) return (utf8Encoder ??= new TextEncoder()).encode(value);
    out[i] = c;
  }
  return out;
}

/** Bytes [start, end) as a string; short ASCII headers decode faster by hand than through TextDecoder. */
function text(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let s = "";
    let i = start;
    for (; i < end && (bytes[i] as number) < 128; i++) s += String.fromCharCode(bytes[i] as number);
    if (i === end) return s;
  }
  return (utf8Decoder ??= new TextDecoder()).decode(bytes.subarray(start, end));
}

/**
 * A binary frame: the kind byte, one size byte per header field, the fields, then the payload.
 * `names` lists the header fields (space-separated) read from `values`.
 */
function binaryFrame(kind: number, names: string, values: object, payload: Binary): ArrayBuffer {
  const body = asBytes(payload);
  let size = 1 + body.length;
  const fields = names.split(" ").map((name) => {
    const bytes = utf8((values as Record<string, string | null>)[name] ?? "");
    if (bytes.length > 255) {
      const message = `unable to convert ${name} to binary: must be less than or equal to 255 bytes, but is ${bytes.length} bytes`;
      throw new EncodeError(name, message);
    }
    // One size byte plus the field itself.
    size += 1 + bytes.length;
    return bytes;
  });
  const out = new Uint8Array(size);
  let offset = 1 + fields.length;
  out[0] = kind;
  fields.forEach((f, i) => {
    out[i + 1] = f.length;
    out.set(f, offset);
    offset += f.length;
  });
  out.set(body, offset);
  return out.buffer;
}

// ---------------------------------------------------------------- decoding helpers

function parseJSON(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new DecodeError("not_json", "frame is not valid JSON", raw, { cause });
  }
}

/** Validates a decoded V2 array; shared by both directions. */
function fromArray(raw: string): Message {
  const value = parseJSON(raw);
  if (!Array.isArray(value)) throw new DecodeError("not_array", "V2 frame is not an array", raw);
  if (value.length !== 5) throw new DecodeError("wrong_length", `V2 frame has ${value.length} elements, not 5`, raw);
  // Indexed reads, not destructuring: this runs once per inbound frame and array destructuring
  // goes through the iterator protocol.
  return checked("V2 frame", value[0], value[1], value[2], value[3], value[4], raw);
}

/**
 * Type-checks the header fields of a decoded V2 or V1 frame (`format` names it in the error)
 * and returns the message. A chain of `typeof` tests, not a table: this runs once per frame.
 */
function checked(format: string, join_ref: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown, raw: string): Message {
  const bad =
    join_ref !== null && typeof join_ref !== "string"
      ? "join_ref"
      : ref !== null && typeof ref !== "string"
        ? "ref"
        : typeof topic !== "string"
          ? "topic"
          : typeof event !== "string"
            ? "event"
            : "";
  if (bad) throw new DecodeError("wrong_type", `${format} ${bad} is not a string${bad.endsWith("ref") ? " or null" : ""}`, raw);
  // A literal here, not message(): this is the per-frame path of every text frame.
  return { join_ref, ref, topic, event, payload } as Message;
}

/** The message object every decoder returns: one shape, so the engine sees one hidden class. */
const message = (join_ref: string | null, ref: string | null, topic: string, event: string, payload: unknown): Message => ({
  join_ref,
  ref,
  topic,
  event,
  payload,
});

const truncated = (raw: unknown, what: string): DecodeError =>
  new DecodeError("truncated_binary", `binary frame truncated in ${what}`, raw);

// ---------------------------------------------------------------- V2, client side

/**
 * Encodes a client message for a V2 socket: a JSON array, or a binary push frame when the
 * payload is an `ArrayBuffer` or typed array.
 * @throws EncodeError when a binary header field exceeds 255 bytes.
 */
export function encodeV2(msg: Message): EncodedFrame {
  return isBinary(msg.payload)
    ? binaryFrame(0, "join_ref ref topic event", msg, msg.payload)
    : JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload]);
}

/**
 * Decodes a server frame on a V2 socket: a JSON array, or a binary push (kind 0),
 * reply (kind 1, presented as `phx_reply` with `{status, response: ArrayBuffer}`) or
 * broadcast (kind 2).
 * @throws DecodeError naming what was wrong.
 */
export function decodeV2(raw: RawFrame): Message {
  return typeof raw === "string" ? fromArray(raw) : fromBinary(raw, false);
}

/**
 * Decodes a binary frame: from the server (`client` false: push, reply or broadcast) or from a
 * client (`client` true: push with a ref; empty refs become null).
 */
function fromBinary(raw: unknown, client: boolean): Message {
  if (!isBinary(raw)) throw new DecodeError("unsupported_frame", `${typeof raw} frame is neither text nor binary`, raw);
  const bytes = asBytes(raw);
  const kind = bytes[0];
  if (kind === undefined) throw truncated(raw, "the kind byte");
  if (kind > (client ? 0 : 2)) {
    throw new DecodeError("unknown_binary_kind", `${client ? "client " : ""}binary frame kind ${kind} is not ${client ? "0 (push)" : "0, 1 or 2"}`, raw);
  }
  // Header fields by kind: push [join_ref, topic, event], reply [join_ref, ref, topic, status],
  // broadcast [topic, event]; a client push is [join_ref, ref, topic, event].
  const count = client ? 4 : ([3, 4, 2][kind] as number);
  const f: string[] = [];
  let offset = 1 + count;
  for (let i = 1; i <= count; i++) {
    // A missing size byte reads as undefined and makes `end` NaN, which fails this test too.
    const end = offset + (bytes[i] as number);
    if (!(end <= bytes.length)) throw truncated(raw, `header field ${i}`);
    f.push(text(bytes, offset, end));
    offset = end;
  }
  // A copy in a buffer of its own: the caller may reuse the frame's buffer.
  const payload = bytes.slice(offset).buffer;
  if (client) return message(f[0] || null, f[1] || null, f[2] as string, f[3] as string, payload);
  if (kind === 1) return message(f[0] as string, f[1] as string, f[2] as string, "phx_reply", { status: f[3], response: payload });
  return kind
    ? message(null, null, f[0] as string, f[1] as string, payload)
    : message(f[0] as string, null, f[1] as string, f[2] as string, payload);
}

// ---------------------------------------------------------------- V2, server side

/**
 * Decodes a client frame on a V2 socket (server side): a JSON array, or a binary push (kind 0)
 * carrying join_ref, ref, topic and event.
 * @throws DecodeError naming what was wrong.
 */
export function decodeClientV2(raw: RawFrame): Message {
  return typeof raw === "string" ? fromArray(raw) : fromBinary(raw, true);
}

/**
 * Encodes a server message for a V2 socket. A binary payload becomes a reply frame (kind 1) for
 * `phx_reply`, a broadcast frame (kind 2) when it has no join_ref, or a push frame (kind 0).
 * A `phx_reply` whose `response` is binary is sent as a binary reply.
 */
export function encodeServerV2(msg: Message): EncodedFrame {
  const payload = msg.payload as { status?: unknown; response?: unknown } | null;
  if (msg.event === "phx_reply" && typeof payload?.status === "string" && isBinary(payload.response)) {
    return binaryFrame(1, "join_ref ref topic status", { ...msg, status: payload.status }, payload.response);
  }
  if (!isBinary(payload)) return JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, payload]);
  return msg.join_ref === null
    ? binaryFrame(2, "topic event", msg, payload)
    : binaryFrame(0, "join_ref topic event", msg, payload);
}

// ---------------------------------------------------------------- V1

/** Encodes a message as a V1 JSON object (either direction). Binary payloads are not supported by V1. */
export function encodeV1(msg: Message): string {
  if (isBinary(msg.payload)) throw new EncodeError("payload", "V1 cannot carry binary payloads; use vsn 2.0.0");
  // JSON.stringify leaves out a key whose value is undefined: no join_ref key when it is null.
  return JSON.stringify({ topic: msg.topic, event: msg.event, payload: msg.payload, ref: msg.ref, join_ref: msg.join_ref ?? undefined });
}

/**
 * Decodes a V1 JSON object frame (either direction).
 * @throws DecodeError naming what was wrong.
 */
export function decodeV1(raw: RawFrame): Message {
  if (typeof raw !== "string") throw new DecodeError("unsupported_frame", "V1 takes text frames only", raw);
  const o = parseJSON(raw) as Record<string, unknown> | null;
  if (typeof o !== "object" || !o || Array.isArray(o)) throw new DecodeError("not_object", "V1 frame is not an object", raw);
  return checked("V1", o.join_ref ?? null, o.ref ?? null, o.topic, o.event, o.payload ?? {}, raw);
}

// ---------------------------------------------------------------- phoenix.js-shaped facades

/** A callback-style serializer, as phoenix.js's `Serializer` and the `encode`/`decode` socket options. */
export interface CallbackSerializer {
  encode(msg: Message, callback: (frame: EncodedFrame) => void): void;
  decode(raw: RawFrame, callback: (msg: Message) => void): void;
}

// Two literal objects rather than one factory: each method keeps a single callee, which the
// engine inlines on the per-message path.

/**
 * The V2 serializer with phoenix.js's callback shape.
 * @example
 * ```ts
 * Serializer.encode({join_ref: "1", ref: "2", topic: "room:1", event: "hi", payload: {}}, frame => ws.send(frame))
 * ```
 */
export const Serializer: CallbackSerializer & {
  /** Bytes of the kind field. */
  readonly HEADER_LENGTH: 1;
  /** Bytes of the size fields of a push (join_ref, topic, event sizes + kind). */
  readonly META_LENGTH: 4;
  /** The binary frame kinds. */
  readonly KINDS: typeof BINARY_KINDS;
  /** A message with a binary payload as a binary frame (phoenix.js's name; other payloads give JSON text). */
  binaryEncode(msg: Message): EncodedFrame;
  /** A binary frame (push, reply or broadcast) as a message. */
  binaryDecode(raw: ArrayBuffer | ArrayBufferView): Message;
} = {
  HEADER_LENGTH: 1,
  META_LENGTH: 4,
  KINDS: BINARY_KINDS,
  encode: (msg, callback) => callback(encodeV2(msg)),
  decode: (raw, callback) => callback(decodeV2(raw)),
  binaryEncode: encodeV2,
  binaryDecode: decodeV2,
};

/** The V1 (object JSON) serializer with phoenix.js's callback shape. */
export const V1Serializer: CallbackSerializer = {
  encode: (msg, callback) => callback(encodeV1(msg)),
  decode: (raw, callback) => callback(decodeV1(raw)),
};

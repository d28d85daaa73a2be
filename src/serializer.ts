/**
 * The wire formats: V2 JSON arrays, V2 binary frames, V1 JSON objects.
 * Pure functions with no I/O, shared by the client and the reference server.
 * Decoders throw {@link DecodeError}; encoders throw {@link EncodeError}.
 * @module
 */
import { DecodeError, EncodeError } from "./errors";
import { BINARY_KINDS, CHANNEL_EVENTS, type Message } from "./protocol";

/** What a transport hands us: a text frame, or a binary one. */
export type RawFrame = string | ArrayBuffer | ArrayBufferView;
/** What an encoder produces for a transport to send. */
export type EncodedFrame = string | ArrayBuffer;

const HEADER_LIMIT = 255;

// Created on first use, not at import: nothing may touch globals at module scope.
let utf8Encoder: TextEncoder | undefined;
let utf8Decoder: TextDecoder | undefined;
const encoder = (): TextEncoder => (utf8Encoder ??= new TextEncoder());
const decoder = (): TextDecoder => (utf8Decoder ??= new TextDecoder());

/** True for an `ArrayBuffer` or a typed-array / DataView / Buffer view. */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || (typeof ArrayBuffer !== "undefined" && ArrayBuffer.isView(value));
}

function asBytes(frame: ArrayBuffer | ArrayBufferView): Uint8Array {
  return frame instanceof ArrayBuffer
    ? new Uint8Array(frame)
    : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
}

/** ASCII fast path: most refs, topics and events are ASCII, and TextEncoder is slow on tiny strings. */
function utf8(value: string): Uint8Array {
  const n = value.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (value.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (!ascii) return encoder().encode(value);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = value.charCodeAt(i);
  return out;
}

function text(bytes: Uint8Array, start: number, length: number): string {
  // Short ASCII headers decode faster by hand than through TextDecoder.
  if (length <= 64) {
    let s = "";
    for (let i = start; i < start + length; i++) {
      const c = bytes[i] as number;
      if (c > 0x7f) return decoder().decode(bytes.subarray(start, start + length));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder().decode(bytes.subarray(start, start + length));
}

function header(field: string, value: string | null): Uint8Array {
  const bytes = utf8(value ?? "");
  if (bytes.length > HEADER_LIMIT) {
    throw new EncodeError(field, `binary frame field "${field}" is ${bytes.length} bytes of UTF-8; the limit is ${HEADER_LIMIT}`);
  }
  return bytes;
}

function assemble(kind: number, fields: Uint8Array[], payload: Uint8Array): ArrayBuffer {
  let size = 1 + fields.length + payload.byteLength;
  for (const f of fields) size += f.byteLength;
  const out = new Uint8Array(size);
  out[0] = kind;
  let offset = 1;
  for (const f of fields) out[offset++] = f.byteLength;
  for (const f of fields) {
    out.set(f, offset);
    offset += f.byteLength;
  }
  out.set(payload, offset);
  return out.buffer;
}

// ---------------------------------------------------------------- V2, client side

/**
 * Encodes a client message for a V2 socket: a JSON array, or a binary push frame when the
 * payload is an `ArrayBuffer` or typed array.
 * @throws EncodeError when a binary header field exceeds 255 bytes.
 */
export function encodeV2(msg: Message): EncodedFrame {
  const { payload } = msg;
  if (isBinary(payload)) {
    return assemble(
      BINARY_KINDS.push,
      [header("join_ref", msg.join_ref), header("ref", msg.ref), header("topic", msg.topic), header("event", msg.event)],
      asBytes(payload),
    );
  }
  return JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, payload]);
}

/** Validates a decoded V2 array; shared by both directions. */
function fromArray(value: unknown, raw: string): Message {
  if (!Array.isArray(value)) throw new DecodeError("not_array", "V2 frame is not a JSON array", raw);
  if (value.length !== 5) {
    throw new DecodeError("wrong_length", `V2 frame has ${value.length} elements; 5 expected`, raw);
  }
  // Indexed reads, not destructuring: this runs once per inbound frame and array destructuring
  // goes through the iterator protocol.
  return checked("V2 frame", value[0], value[1], value[2], value[3], value[4], raw);
}

/**
 * Type-checks the header fields of a decoded V2 or V1 frame (`format` names it in the error)
 * and returns the message.
 */
function checked(format: string, join_ref: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown, raw: string): Message {
  if (join_ref !== null && typeof join_ref !== "string") {
    throw new DecodeError("wrong_type", `${format} join_ref is neither a string nor null`, raw);
  }
  if (ref !== null && typeof ref !== "string") {
    throw new DecodeError("wrong_type", `${format} ref is neither a string nor null`, raw);
  }
  if (typeof topic !== "string") throw new DecodeError("wrong_type", `${format} topic is not a string`, raw);
  if (typeof event !== "string") throw new DecodeError("wrong_type", `${format} event is not a string`, raw);
  return { join_ref, ref, topic, event, payload };
}

function parseJSON(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new DecodeError("not_json", "text frame is not valid JSON", raw, { cause });
  }
}

/**
 * Decodes a server frame on a V2 socket: a JSON array, or a binary push (kind 0),
 * reply (kind 1, presented as `phx_reply` with `{status, response: ArrayBuffer}`) or
 * broadcast (kind 2).
 * @throws DecodeError naming what was wrong.
 */
export function decodeV2(raw: RawFrame): Message {
  if (typeof raw === "string") return fromArray(parseJSON(raw), raw);
  if (isBinary(raw)) return decodeServerBinary(asBytes(raw), raw);
  throw new DecodeError("unsupported_frame", `frame of type ${typeof raw} is neither text nor binary`, raw);
}

function truncated(raw: unknown, what: string): DecodeError {
  return new DecodeError("truncated_binary", `binary frame too short: ${what} runs past its end`, raw);
}

/** Reads `count` size bytes after the kind byte, then the strings; returns them and the payload offset. */
function readHeaders(bytes: Uint8Array, count: number, raw: unknown): { fields: string[]; offset: number } {
  if (bytes.length < 1 + count) throw truncated(raw, "the header sizes");
  let offset = 1 + count;
  const fields: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = bytes[1 + i] as number;
    if (offset + size > bytes.length) throw truncated(raw, `header field ${i + 1}`);
    fields.push(text(bytes, offset, size));
    offset += size;
  }
  return { fields, offset };
}

function payloadOf(bytes: Uint8Array, offset: number): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function decodeServerBinary(bytes: Uint8Array, raw: unknown): Message {
  if (bytes.length === 0) throw truncated(raw, "the kind byte");
  const kind = bytes[0];
  switch (kind) {
    case BINARY_KINDS.push: {
      const { fields, offset } = readHeaders(bytes, 3, raw);
      const [joinRef, topic, event] = fields as [string, string, string];
      return { join_ref: joinRef, ref: null, topic, event, payload: payloadOf(bytes, offset) };
    }
    case BINARY_KINDS.reply: {
      const { fields, offset } = readHeaders(bytes, 4, raw);
      const [joinRef, ref, topic, status] = fields as [string, string, string, string];
      return {
        join_ref: joinRef,
        ref,
        topic,
        event: CHANNEL_EVENTS.reply,
        payload: { status, response: payloadOf(bytes, offset) },
      };
    }
    case BINARY_KINDS.broadcast: {
      const { fields, offset } = readHeaders(bytes, 2, raw);
      const [topic, event] = fields as [string, string];
      return { join_ref: null, ref: null, topic, event, payload: payloadOf(bytes, offset) };
    }
    default:
      throw new DecodeError("unknown_binary_kind", `binary frame kind ${String(kind)} is not 0, 1 or 2`, raw);
  }
}

// ---------------------------------------------------------------- V2, server side

/**
 * Decodes a client frame on a V2 socket (server side): a JSON array, or a binary push (kind 0)
 * carrying join_ref, ref, topic and event.
 * @throws DecodeError naming what was wrong.
 */
export function decodeClientV2(raw: RawFrame): Message {
  if (typeof raw === "string") return fromArray(parseJSON(raw), raw);
  if (!isBinary(raw)) throw new DecodeError("unsupported_frame", `frame of type ${typeof raw} is neither text nor binary`, raw);
  const bytes = asBytes(raw);
  if (bytes.length === 0) throw truncated(raw, "the kind byte");
  if (bytes[0] !== BINARY_KINDS.push) {
    throw new DecodeError("unknown_binary_kind", `client binary frame kind ${String(bytes[0])} is not 0 (push)`, raw);
  }
  const { fields, offset } = readHeaders(bytes, 4, raw);
  const [joinRef, ref, topic, event] = fields as [string, string, string, string];
  return { join_ref: joinRef === "" ? null : joinRef, ref: ref === "" ? null : ref, topic, event, payload: payloadOf(bytes, offset) };
}

/**
 * Encodes a server message for a V2 socket. A binary payload becomes a reply frame (kind 1) for
 * `phx_reply`, a broadcast frame (kind 2) when it has no join_ref, or a push frame (kind 0).
 * A `phx_reply` whose `response` is binary is sent as a binary reply.
 */
export function encodeServerV2(msg: Message): EncodedFrame {
  const { payload } = msg;
  if (msg.event === CHANNEL_EVENTS.reply && isReplyWithBinary(payload)) {
    return assemble(
      BINARY_KINDS.reply,
      [header("join_ref", msg.join_ref), header("ref", msg.ref), header("topic", msg.topic), header("status", payload.status)],
      asBytes(payload.response),
    );
  }
  if (isBinary(payload)) {
    if (msg.join_ref === null) {
      return assemble(BINARY_KINDS.broadcast, [header("topic", msg.topic), header("event", msg.event)], asBytes(payload));
    }
    return assemble(
      BINARY_KINDS.push,
      [header("join_ref", msg.join_ref), header("topic", msg.topic), header("event", msg.event)],
      asBytes(payload),
    );
  }
  return JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, payload]);
}

function isReplyWithBinary(payload: unknown): payload is { status: string; response: ArrayBuffer | ArrayBufferView } {
  return (
    typeof payload === "object" &&
    payload !== null &&
    typeof (payload as { status?: unknown }).status === "string" &&
    isBinary((payload as { response?: unknown }).response)
  );
}

// ---------------------------------------------------------------- V1

/** Encodes a message as a V1 JSON object (either direction). Binary payloads are not supported by V1. */
export function encodeV1(msg: Message): string {
  if (isBinary(msg.payload)) throw new EncodeError("payload", "the V1 serializer cannot carry binary payloads; use vsn 2.0.0");
  const out: Record<string, unknown> = { topic: msg.topic, event: msg.event, payload: msg.payload, ref: msg.ref };
  if (msg.join_ref !== null) out.join_ref = msg.join_ref;
  return JSON.stringify(out);
}

/**
 * Decodes a V1 JSON object frame (either direction).
 * @throws DecodeError naming what was wrong.
 */
export function decodeV1(raw: RawFrame): Message {
  if (typeof raw !== "string") throw new DecodeError("unsupported_frame", "the V1 serializer takes text frames only", raw);
  const value = parseJSON(raw);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DecodeError("not_object", "V1 frame is not a JSON object", raw);
  }
  const o = value as Record<string, unknown>;
  return checked("V1", o.join_ref ?? null, o.ref ?? null, o.topic, o.event, o.payload ?? {}, raw);
}

// ---------------------------------------------------------------- phoenix.js-shaped facades

/** A callback-style serializer, as phoenix.js's `Serializer` and the `encode`/`decode` socket options. */
export interface CallbackSerializer {
  encode(msg: Message, callback: (frame: EncodedFrame) => void): void;
  decode(raw: RawFrame, callback: (msg: Message) => void): void;
}

/**
 * The V2 serializer with phoenix.js's callback shape.
 * @example
 * ```ts
 * Serializer.encode({join_ref: "1", ref: "2", topic: "room:1", event: "hi", payload: {}}, frame => ws.send(frame))
 * ```
 */
export const Serializer: CallbackSerializer = {
  encode(msg, callback) {
    callback(encodeV2(msg));
  },
  decode(raw, callback) {
    callback(decodeV2(raw));
  },
};

/** The V1 (object JSON) serializer with phoenix.js's callback shape. */
export const V1Serializer: CallbackSerializer = {
  encode(msg, callback) {
    callback(encodeV1(msg));
  },
  decode(raw, callback) {
    callback(decodeV1(raw));
  },
};

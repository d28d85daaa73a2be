/**
 * Frame generators and helpers shared by the fuzz suites: random text, mutated V2/V1 JSON,
 * random bytes and mutated binary frames, plus a runner that always reports how to replay a failure.
 */
import fc from "fast-check";
import { DecodeError } from "../../src/errors";
import type { Message } from "../../src/protocol";
import { encodeServerV2, encodeV2 } from "../../src/serializer";

/** Multiplies every property's run count (FUZZ_SCALE=10 for a long local run). */
const SCALE = Number(globalThis.process?.env.FUZZ_SCALE ?? "1") || 1;
/** Pin a seed to replay a failure: FUZZ_SEED=<seed> (and FUZZ_PATH=<path> to jump straight to it). */
const FIXED_SEED = globalThis.process?.env.FUZZ_SEED;
const FIXED_PATH = globalThis.process?.env.FUZZ_PATH;

let total = 0;
/** How many generated cases have run in this file so far. */
export const casesRun = (): number => total;

/**
 * Runs a property `runs` times (scaled by FUZZ_SCALE). On failure the thrown error starts with
 * the exact command line to replay it, then fast-check's own report (seed, path, counterexample).
 */
export function fuzz<T>(arb: fc.Arbitrary<T>, predicate: (value: T) => void, runs: number): void {
  const seed = FIXED_SEED !== undefined ? Number(FIXED_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const numRuns = Math.max(1, Math.round(runs * SCALE));
  const details = fc.check(
    fc.property(arb, (v) => {
      total++;
      predicate(v);
    }),
    { numRuns, seed, ...(FIXED_PATH ? { path: FIXED_PATH } : {}) },
  );
  if (details.failed) {
    const replay = `FUZZ_SEED=${details.seed}${details.counterexamplePath ? ` FUZZ_PATH=${details.counterexamplePath}` : ""}`;
    const report = fc.defaultReportMessage(details);
    const err = new Error(`fuzz failure, replay with ${replay}\n${report}`);
    if (details.errorInstance) Object.defineProperty(err, "cause", { value: details.errorInstance });
    throw err;
  }
}

/** {@link fuzz} for async predicates (e.g. a server connection that must be accepted first). */
export async function fuzzAsync<T>(arb: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, runs: number): Promise<void> {
  const seed = FIXED_SEED !== undefined ? Number(FIXED_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const numRuns = Math.max(1, Math.round(runs * SCALE));
  const details = await fc.check(
    fc.asyncProperty(arb, async (v) => {
      total++;
      await predicate(v);
    }),
    { numRuns, seed, ...(FIXED_PATH ? { path: FIXED_PATH } : {}) },
  );
  if (details.failed) {
    const replay = `FUZZ_SEED=${details.seed}${details.counterexamplePath ? ` FUZZ_PATH=${details.counterexamplePath}` : ""}`;
    const err = new Error(`fuzz failure, replay with ${replay}\n${fc.defaultReportMessage(details)}`);
    if (details.errorInstance) Object.defineProperty(err, "cause", { value: details.errorInstance });
    throw err;
  }
}

/** Calls a decoder: it must return, or throw a DecodeError; anything else fails the property. */
export function decodeOrDecodeError(decode: (raw: never) => Message, raw: unknown): Message | DecodeError {
  try {
    return decode(raw as never);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw new Error(`decoder threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, not a DecodeError`, { cause: e });
  }
}

const REASONS = new Set([
  "not_json",
  "not_array",
  "wrong_length",
  "wrong_type",
  "not_object",
  "truncated_binary",
  "unknown_binary_kind",
  "unsupported_frame",
]);

/** A decoded message is well formed; a DecodeError names a known reason and carries the frame. */
export function assertWellFormed(result: Message | DecodeError, raw: unknown): void {
  if (result instanceof DecodeError) {
    if (!REASONS.has(result.reason)) throw new Error(`unknown DecodeError reason ${result.reason}`);
    if (!Object.is(result.frame, raw)) throw new Error("DecodeError.frame is not the raw frame");
    if (result.code !== "decode") throw new Error(`DecodeError.code is ${result.code}`);
    return;
  }
  const m = result;
  if (typeof m !== "object" || m === null) throw new Error("decoder returned a non-object");
  if (typeof m.topic !== "string") throw new Error("decoded topic is not a string");
  if (typeof m.event !== "string") throw new Error("decoded event is not a string");
  if (m.join_ref !== null && typeof m.join_ref !== "string") throw new Error("decoded join_ref is neither string nor null");
  if (m.ref !== null && typeof m.ref !== "string") throw new Error("decoded ref is neither string nor null");
}

// ------------------------------------------------------------------ generators

const ref = fc.oneof(fc.constant(null), fc.nat({ max: 100_000 }).map(String), fc.string({ maxLength: 12 }));
const name = fc.oneof(
  fc.constantFrom("room:lobby", "phoenix", "room:1", "presence:x", "", "phx_reply", "phx_join", "phx_error", "phx_close", "new_msg"),
  fc.string({ maxLength: 24 }),
  fc.string({ maxLength: 8, unit: "binary" }),
);

/** A well-formed message with a JSON payload. */
export const jsonMessage: fc.Arbitrary<Message> = fc.record({
  join_ref: ref,
  ref,
  topic: name,
  event: name,
  payload: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ status: fc.constantFrom("ok", "error", "timeout", ""), response: fc.jsonValue({ maxDepth: 2 }) }),
  ),
});

/** Raw text of every kind: random strings, lone surrogates, JSON-ish fragments. */
export const randomText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ maxLength: 64, unit: "binary" }),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom("", "[", "]", "[]", "{}", "null", "[null,null,null,null]", "[1,2,3,4,5]", "\u0000", "\ud800", '"str"', "1e400", "[[[[[[[[[[]]]]]]]]]]"),
);

type TextMutation = { op: "delete" | "insert" | "replace" | "truncate" | "duplicate"; pos: number; text: string };
const textMutation: fc.Arbitrary<TextMutation> = fc.record({
  op: fc.constantFrom("delete", "insert", "replace", "truncate", "duplicate"),
  pos: fc.nat(),
  text: fc.oneof(fc.constantFrom('"', ",", "[", "]", "{", "}", ":", "null", "1", "\\", "\\u", " "), fc.string({ maxLength: 3, unit: "binary" })),
});

function mutateText(s: string, mutations: TextMutation[]): string {
  let out = s;
  for (const m of mutations) {
    const pos = out.length === 0 ? 0 : m.pos % (out.length + 1);
    switch (m.op) {
      case "delete":
        out = out.slice(0, pos) + out.slice(pos + 1);
        break;
      case "insert":
        out = out.slice(0, pos) + m.text + out.slice(pos);
        break;
      case "replace":
        out = out.slice(0, pos) + m.text + out.slice(pos + m.text.length);
        break;
      case "truncate":
        out = out.slice(0, pos);
        break;
      case "duplicate":
        out = out + out.slice(pos);
        break;
    }
  }
  return out;
}

type JsonMutation = { op: "set" | "remove" | "add" | "wrap" | "swap" | "objectify"; index: number; value: unknown };
const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  op: fc.constantFrom("set", "remove", "add", "wrap", "swap", "objectify"),
  index: fc.nat({ max: 6 }),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.integer(), fc.boolean(), fc.constant([]), fc.constant({})),
});

function mutateArray(arr: unknown[], mutations: JsonMutation[]): unknown {
  let out: unknown = [...arr];
  for (const m of mutations) {
    if (!Array.isArray(out)) break;
    const a = out as unknown[];
    const i = a.length === 0 ? 0 : m.index % a.length;
    switch (m.op) {
      case "set":
        a[i] = m.value;
        break;
      case "remove":
        a.splice(i, 1);
        break;
      case "add":
        a.splice(i, 0, m.value);
        break;
      case "wrap":
        a[i] = [a[i]];
        break;
      case "swap": {
        const j = (i + 1) % Math.max(1, a.length);
        [a[i], a[j]] = [a[j], a[i]];
        break;
      }
      case "objectify":
        out = Object.fromEntries(a.map((v, k) => [String(k), v]));
        break;
    }
  }
  return out;
}

/** Valid V2 text frames with textual mutations (broken JSON) applied. */
export const mutatedV2Text: fc.Arbitrary<string> = fc
  .tuple(jsonMessage, fc.array(textMutation, { minLength: 1, maxLength: 4 }))
  .map(([m, muts]) => mutateText(encodeServerV2(m) as string, muts));

/** Valid V2 arrays with structural mutations (wrong length, wrong types, nesting) that stay valid JSON. */
export const mutatedV2Json: fc.Arbitrary<string> = fc
  .tuple(jsonMessage, fc.array(jsonMutation, { minLength: 1, maxLength: 3 }))
  .map(([m, muts]) => JSON.stringify(mutateArray([m.join_ref, m.ref, m.topic, m.event, m.payload], muts)));

/** V1 object frames: valid, with fields of the wrong type or missing, and textually mutated. */
export const v1Text: fc.Arbitrary<string> = fc.oneof(
  jsonMessage.map((m) => JSON.stringify({ topic: m.topic, event: m.event, payload: m.payload, ref: m.ref, join_ref: m.join_ref })),
  fc
    .record(
      {
        topic: fc.oneof(name, fc.jsonValue({ maxDepth: 1 })),
        event: fc.oneof(name, fc.jsonValue({ maxDepth: 1 })),
        payload: fc.jsonValue({ maxDepth: 2 }),
        ref: fc.oneof(ref, fc.integer(), fc.boolean()),
        join_ref: fc.oneof(ref, fc.integer(), fc.constant(undefined)),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.tuple(jsonMessage, fc.array(textMutation, { minLength: 1, maxLength: 3 })).map(([m, muts]) =>
    mutateText(JSON.stringify({ topic: m.topic, event: m.event, payload: m.payload, ref: m.ref }), muts),
  ),
);

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const header = fc.string({ maxLength: 20 });
const headerOrEmpty = fc.oneof(header, fc.constant(""));

/** Valid binary frames the server sends: push (kind 0), reply (kind 1), broadcast (kind 2). */
export const serverBinaryFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.record({ join_ref: header, topic: header, event: header, payload: bytes(64) }).map(
    (m) => new Uint8Array(encodeServerV2({ join_ref: m.join_ref === "" ? "1" : m.join_ref, ref: null, topic: m.topic, event: m.event, payload: m.payload }) as ArrayBuffer),
  ),
  fc.record({ join_ref: headerOrEmpty, ref: headerOrEmpty, topic: header, status: fc.constantFrom("ok", "error", ""), payload: bytes(64) }).map(
    (m) =>
      new Uint8Array(
        encodeServerV2({ join_ref: m.join_ref, ref: m.ref, topic: m.topic, event: "phx_reply", payload: { status: m.status, response: m.payload } }) as ArrayBuffer,
      ),
  ),
  fc.record({ topic: header, event: header, payload: bytes(64) }).map(
    (m) => new Uint8Array(encodeServerV2({ join_ref: null, ref: null, topic: m.topic, event: m.event, payload: m.payload }) as ArrayBuffer),
  ),
);

/** Valid binary push frames a client sends (kind 0, four headers). */
export const clientBinaryFrame: fc.Arbitrary<Uint8Array> = fc
  .record({ join_ref: headerOrEmpty, ref: headerOrEmpty, topic: header, event: header, payload: bytes(64) })
  .map((m) => new Uint8Array(encodeV2({ join_ref: m.join_ref, ref: m.ref, topic: m.topic, event: m.event, payload: m.payload }) as ArrayBuffer));

type ByteMutation = { op: "set" | "truncate" | "insert" | "kind" | "size"; pos: number; value: number };
const byteMutation: fc.Arbitrary<ByteMutation> = fc.record({
  op: fc.constantFrom("set", "truncate", "insert", "kind", "size"),
  pos: fc.nat(),
  value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2, 3, 255)),
});

function mutateBytes(input: Uint8Array, mutations: ByteMutation[]): Uint8Array {
  let out = Uint8Array.from(input);
  for (const m of mutations) {
    const pos = out.length === 0 ? 0 : m.pos % out.length;
    switch (m.op) {
      case "set":
        if (out.length > 0) out[pos] = m.value;
        break;
      case "truncate":
        out = out.slice(0, m.pos % (out.length + 1));
        break;
      case "insert": {
        const next = new Uint8Array(out.length + 1);
        next.set(out.subarray(0, pos));
        next[pos] = m.value;
        next.set(out.subarray(pos), pos + 1);
        out = next;
        break;
      }
      case "kind":
        if (out.length > 0) out[0] = m.value % 4;
        break;
      case "size":
        // Header sizes sit right after the kind byte: make one of them overrun the frame.
        if (out.length > 1) out[1 + (m.pos % Math.min(4, out.length - 1))] = m.value;
        break;
    }
  }
  return out;
}

/** Presents bytes the way different platforms hand them over: ArrayBuffer, offset view, DataView, Buffer. */
type Shape = "arraybuffer" | "view" | "offset-view" | "dataview" | "buffer";
const shape: fc.Arbitrary<Shape> = fc.constantFrom("arraybuffer", "view", "offset-view", "dataview", "buffer");

export function shaped(b: Uint8Array, s: Shape): ArrayBuffer | ArrayBufferView {
  switch (s) {
    case "arraybuffer":
      return b.slice().buffer;
    case "view":
      return b;
    case "offset-view": {
      // A view into the middle of a larger buffer, with garbage around it, as Node's Buffer pool does.
      const big = new Uint8Array(b.length + 16).fill(0xee);
      big.set(b, 7);
      return big.subarray(7, 7 + b.length);
    }
    case "dataview":
      return new DataView(b.slice().buffer);
    case "buffer":
      return Buffer.from(b);
  }
}

/** Mutated binary frames, in every byte shape. */
export function mutatedBinary(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<ArrayBuffer | ArrayBufferView> {
  return fc
    .tuple(valid, fc.array(byteMutation, { minLength: 1, maxLength: 4 }), shape)
    .map(([b, muts, s]) => shaped(mutateBytes(b, muts), s));
}

/** Random bytes, in every byte shape. */
export const randomBinary: fc.Arbitrary<ArrayBuffer | ArrayBufferView> = fc
  .tuple(fc.oneof(bytes(128), fc.uint8Array({ minLength: 1, maxLength: 8, min: 0, max: 3 })), shape)
  .map(([b, s]) => shaped(b, s));

/** Things a transport should never hand over, but a misbehaving polyfill might. */
export const notAFrame: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(undefined, null, 0, NaN, true, Symbol("x"), () => "frame", new Map(), [1, 2, 3]),
);

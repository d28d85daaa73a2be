/**
 * Property-based fuzzing of what the client decodes: every frame a server (or a broken proxy, or a
 * hostile peer) could send must either decode to a well-formed message or fail with a DecodeError.
 * Nothing else may escape. Replay a failure with the FUZZ_SEED / FUZZ_PATH printed in the error.
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DecodeError } from "../../src/errors";
import { Socket } from "../../src/node";
import type { RawFrame } from "../../src/serializer";
import type { TransportConstructor } from "../../src/types";
import { CHANNEL_EVENTS } from "../../src/protocol";
import { decodeV1, decodeV2, encodeServerV2, encodeV1 } from "../../src/serializer";
import {
  assertWellFormed,
  casesRun,
  decodeOrDecodeError,
  fuzz,
  fuzzAsync,
  jsonMessage,
  mutatedBinary,
  mutatedV2Json,
  mutatedV2Text,
  notAFrame,
  randomBinary,
  randomText,
  serverBinaryFrame,
  shaped,
  v1Text,
} from "./arbitraries";

const RUNS = 10_000;

const check = (decode: typeof decodeV2, raw: unknown): void => assertWellFormed(decodeOrDecodeError(decode, raw), raw);

afterAll(() => {
  // The brief's budget is counted across both fuzz files; print ours so the total is visible in CI logs.
  console.log(`client decoder fuzz: ${casesRun()} cases`);
});

describe("the client's V2 decoder never crashes on bad frames", () => {
  it("random text decodes or fails with a DecodeError", () => {
    fuzz(randomText, (raw) => check(decodeV2, raw), RUNS);
  });

  it("valid frames with broken JSON decode or fail with a DecodeError", () => {
    fuzz(mutatedV2Text, (raw) => check(decodeV2, raw), RUNS);
  });

  it("valid JSON arrays of the wrong length or types are refused with a DecodeError, not accepted half-checked", () => {
    fuzz(
      mutatedV2Json,
      (raw) => {
        const out = decodeOrDecodeError(decodeV2, raw);
        assertWellFormed(out, raw);
        if (!("reason" in out)) {
          // Anything accepted must really be a 5-element array with the right slot types.
          const arr = JSON.parse(raw) as unknown[];
          expect(Array.isArray(arr) && arr.length === 5).toBe(true);
        }
      },
      RUNS,
    );
  });

  it("random bytes in every buffer shape decode or fail with a DecodeError", () => {
    fuzz(randomBinary, (raw) => check(decodeV2, raw), RUNS);
  });

  it("mutated binary push, reply and broadcast frames decode or fail with a DecodeError", () => {
    fuzz(
      mutatedBinary(serverBinaryFrame),
      (raw) => {
        const out = decodeOrDecodeError(decodeV2, raw);
        assertWellFormed(out, raw);
        if (!("reason" in out)) {
          const p = out.payload as unknown;
          const bytesOut = out.event === CHANNEL_EVENTS.reply && out.ref !== null ? (p as { response: unknown }).response : p;
          expect(bytesOut).toBeInstanceOf(ArrayBuffer);
        }
      },
      RUNS,
    );
  });

  it("values that are not frames at all fail with a DecodeError", () => {
    fuzz(notAFrame, (raw) => check(decodeV2, raw), 2_000);
  });
});

describe("the client's V2 decoder is exact on good frames", () => {
  it("any JSON message round-trips through the server encoder and the client decoder", () => {
    fuzz(
      jsonMessage,
      (m) => {
        const out = decodeV2(encodeServerV2(m));
        // JSON loses -0 and undefined; compare with what actually went over the wire.
        expect(out).toEqual(JSON.parse(JSON.stringify(m)));
      },
      RUNS,
    );
  });

  it("any binary frame, in any buffer shape, decodes to exactly its payload bytes", () => {
    fuzz(
      fc.tuple(serverBinaryFrame, fc.constantFrom("arraybuffer", "view", "offset-view", "dataview", "buffer") as fc.Arbitrary<Parameters<typeof shaped>[1]>),
      ([frame, s]) => {
        const out = decodeV2(shaped(frame, s));
        const p = out.payload as ArrayBuffer | { response: ArrayBuffer };
        const body = p instanceof ArrayBuffer ? p : p.response;
        expect(body).toBeInstanceOf(ArrayBuffer);
        // The payload is the tail of the frame, and nothing from around an offset view leaks in.
        const got = new Uint8Array(body);
        const offset = frame.length - got.length;
        for (let i = 0; i < got.length; i++) {
          if (got[i] !== frame[offset + i]) throw new Error(`payload byte ${i} is ${got[i]}, expected ${frame[offset + i]}`);
        }
      },
      RUNS,
    );
  });
});

describe("the client's V1 decoder never crashes on bad frames", () => {
  it("V1 objects, valid, mistyped or broken, decode or fail with a DecodeError", () => {
    fuzz(v1Text, (raw) => check(decodeV1, raw), RUNS);
  });

  it("random text, V2 arrays and bytes on a V1 socket fail with a DecodeError or decode", () => {
    fuzz(fc.oneof(randomText, mutatedV2Json, randomBinary, notAFrame), (raw) => check(decodeV1, raw), RUNS);
  });

  it("any JSON message round-trips through V1", () => {
    fuzz(
      jsonMessage,
      (m) => {
        const out = decodeV1(encodeV1(m));
        const wire = JSON.parse(JSON.stringify(m)) as typeof m;
        expect(out).toEqual({ ...wire, payload: wire.payload ?? {} });
      },
      RUNS,
    );
  });
});

// ------------------------------------------------------------------ the socket's inbound path

/** A transport double: records what the socket sends, and lets the test play the server. */
class FakeConn {
  static last: FakeConn | undefined;
  readyState = 0;
  binaryType = "arraybuffer";
  sent: Array<string | ArrayBuffer> = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeConn.last = this;
  }
  send(data: string | ArrayBuffer): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
}

const fuzzTopic = fc.oneof(fc.constantFrom("room:fuzz", "room:fuzz", "phoenix", "room:none"), fc.string({ maxLength: 10 }));
const fuzzEvent = fc.oneof(
  fc.constantFrom("phx_reply", "phx_close", "phx_error", "phx_join", "phx_leave", "new_msg", "presence_state", "presence_diff", "heartbeat"),
  fc.string({ maxLength: 10 }),
);
const smallRef = fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 14 }).map(String), fc.string({ maxLength: 3 }));
const fuzzPayload = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.record({ status: fc.oneof(fc.constantFrom("ok", "error", "timeout", "dropped"), fc.jsonValue({ maxDepth: 1 })), response: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
);
/** Server messages aimed at a live channel: right and wrong join_refs, real and made-up refs, every control event. */
const inboundMessage = fc
  .record({ join_ref: smallRef, ref: smallRef, topic: fuzzTopic, event: fuzzEvent, payload: fuzzPayload })
  .filter((m) => m.topic !== "room:other")
  .map((m) => encodeServerV2(m));
const inboundFrame = fc.oneof(
  { weight: 6, arbitrary: inboundMessage },
  { weight: 1, arbitrary: randomText },
  { weight: 1, arbitrary: mutatedV2Text },
  { weight: 1, arbitrary: mutatedV2Json },
  { weight: 1, arbitrary: mutatedBinary(serverBinaryFrame) },
  { weight: 1, arbitrary: randomBinary },
  { weight: 1, arbitrary: notAFrame },
);

describe("the socket's inbound path never crashes on bad frames", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
  });

  const inboundV1Frame = fc.oneof(
    { weight: 6, arbitrary: fc.record({ join_ref: smallRef, ref: smallRef, topic: fuzzTopic, event: fuzzEvent, payload: fuzzPayload }).filter((m) => m.topic !== "room:other").map((m) => encodeV1(m)) },
    { weight: 1, arbitrary: v1Text },
    { weight: 1, arbitrary: randomText },
    { weight: 1, arbitrary: mutatedV2Json },
    { weight: 1, arbitrary: randomBinary },
    { weight: 1, arbitrary: notAFrame },
  );

  const cases: Array<{ vsn: "2.0.0" | "1.0.0"; frames: fc.Arbitrary<unknown>; runs: number }> = [
    { vsn: "2.0.0", frames: inboundFrame, runs: 4_000 },
    { vsn: "1.0.0", frames: inboundV1Frame, runs: 1_500 },
  ];
  for (const { vsn, frames: frameArb, runs } of cases) {
    it(`frames of every kind reach onConnMessage (vsn ${vsn}) without a throw; only DecodeErrors are reported; other channels keep receiving`, async () => {
      const encode = (m: { join_ref: string | null; ref: string | null; topic: string; event: string; payload: unknown }) =>
        vsn === "1.0.0" ? encodeV1(m) : JSON.stringify([m.join_ref, m.ref, m.topic, m.event, m.payload]);
      const parse = (frame: string | ArrayBuffer | undefined): [string | null, string | null, string] => {
        const v = JSON.parse(frame as string) as unknown[] | { join_ref?: string | null; ref: string | null; topic: string };
        return Array.isArray(v) ? (v.slice(0, 3) as [string | null, string | null, string]) : [v.join_ref ?? null, v.ref, v.topic];
      };
      await fuzzAsync(
        fc.array(frameArb, { minLength: 1, maxLength: 10 }),
        async (frames) => {
          const socket = new Socket("ws://127.0.0.1:1/socket", {
            transport: FakeConn as unknown as TransportConstructor,
            lifecycle: false,
            heartbeatIntervalMs: 60_000,
            vsn,
          });
          const reported: unknown[] = [];
          socket.onError((e) => reported.push(e));
          FakeConn.last = undefined;
          socket.connect();
          await Promise.resolve();
          const conn = FakeConn.last as FakeConn | undefined;
          if (!conn) throw new Error("the socket did not open a transport");
          conn.readyState = 1;
          conn.onopen?.();
          const fuzzed = socket.channel("room:fuzz");
          const other = socket.channel("room:other");
          const stale: string[] = [];
          let otherGot = 0;
          fuzzed.on("new_msg", (_p, _ref, joinRef) => {
            // As in phoenix.js, an empty join_ref counts as none (binary pushes carry "" for it).
            if (joinRef && joinRef !== fuzzed.joinRef()) stale.push(`new_msg for join ${joinRef} while on ${String(fuzzed.joinRef())}`);
          });
          other.on("ping", () => otherGot++);
          for (const ch of [fuzzed, other]) {
            ch.join();
            const [jr, ref, topic] = parse(conn.sent[conn.sent.length - 1]);
            socket.onConnMessage({ data: encode({ join_ref: jr, ref, topic, event: "phx_reply", payload: { status: "ok", response: {} } }) });
          }
          if (!fuzzed.isJoined() || !other.isJoined()) throw new Error("setup: channels did not join");
          // In-flight pushes whose refs the fuzzed replies may hit.
          for (let i = 0; i < 3; i++) fuzzed.push("x", { i }).receive("ok", () => undefined);

          for (const data of frames) {
            try {
              socket.onConnMessage({ data: data as RawFrame });
            } catch (e) {
              throw new Error(`onConnMessage threw ${String(e)}`, { cause: e });
            }
          }
          // Timers (rejoins, push timeouts) run too, still without throwing.
          vi.advanceTimersByTime(15_000);

          const notDecode = reported.filter((e) => !(e instanceof DecodeError));
          if (notDecode.length > 0) throw new Error(`reported something other than a DecodeError: ${String(notDecode[0])}`);
          if (stale.length > 0) throw new Error(stale[0]);
          socket.onConnMessage({ data: encode({ join_ref: other.joinRef() ?? null, ref: null, topic: "room:other", event: "ping", payload: {} }) });
          if (otherGot !== 1) throw new Error("the untouched channel stopped receiving");
          socket.disconnect();
        },
        runs,
      );
    });
  }
});

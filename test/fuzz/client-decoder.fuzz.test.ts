/**
 * Property-based fuzzing of what the client decodes: every frame a server (or a broken proxy, or a
 * hostile peer) could send must either decode to a well-formed message or fail with a DecodeError.
 * Nothing else may escape. Replay a failure with the FUZZ_SEED / FUZZ_PATH printed in the error.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CHANNEL_EVENTS } from "../../src/protocol";
import { decodeV1, decodeV2, encodeServerV2, encodeV1 } from "../../src/serializer";
import {
  assertWellFormed,
  casesRun,
  decodeOrDecodeError,
  fuzz,
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

import { describe, expect, it } from "vitest";
import {
  Serializer,
  V1Serializer,
  decodeClientV2,
  decodeV1,
  decodeV2,
  encodeServerV2,
  encodeV1,
  encodeV2,
  isBinary,
} from "../../src/serializer";
import { DecodeError, EncodeError } from "../../src/errors";
import type { Message } from "../../src/protocol";

const msg = (over: Partial<Message> = {}): Message => ({ join_ref: "1", ref: "2", topic: "room:1", event: "ev", payload: { a: 1 }, ...over });
const bytes = (...values: number[]): ArrayBuffer => new Uint8Array(values).buffer;
const text = (b: ArrayBuffer): string => new TextDecoder().decode(b);
const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecodeError) return e.reason;
    throw e;
  }
  throw new Error("did not throw");
};

describe("V2 JSON", () => {
  it("encodes a message as a 5-element array and decodes it back", () => {
    const frame = encodeV2(msg());
    expect(frame).toBe('["1","2","room:1","ev",{"a":1}]');
    expect(decodeV2(frame)).toEqual(msg());
  });

  it("keeps null refs", () => {
    expect(decodeV2('[null,null,"t","e",{}]')).toEqual({ join_ref: null, ref: null, topic: "t", event: "e", payload: {} });
  });

  it("names what is wrong with a bad frame", () => {
    expect(reason(() => decodeV2("nope"))).toBe("not_json");
    expect(reason(() => decodeV2('{"a":1}'))).toBe("not_array");
    expect(reason(() => decodeV2("[1,2,3]"))).toBe("wrong_length");
    expect(reason(() => decodeV2('[1,null,"t","e",{}]'))).toBe("wrong_type");
    expect(reason(() => decodeV2('[null,2,"t","e",{}]'))).toBe("wrong_type");
    expect(reason(() => decodeV2('[null,null,3,"e",{}]'))).toBe("wrong_type");
    expect(reason(() => decodeV2('[null,null,"t",4,{}]'))).toBe("wrong_type");
    expect(reason(() => decodeV2(42 as unknown as string))).toBe("unsupported_frame");
  });

  it("keeps the raw frame on the error", () => {
    try {
      decodeV2("[1]");
    } catch (e) {
      expect((e as DecodeError).frame).toBe("[1]");
      expect((e as DecodeError).code).toBe("decode");
    }
  });
});

describe("V2 binary", () => {
  it("encodes a binary push with join_ref, ref, topic and event sizes", () => {
    const frame = encodeV2(msg({ payload: bytes(9, 8) })) as ArrayBuffer;
    expect([...new Uint8Array(frame)]).toEqual([0, 1, 1, 6, 2, 49, 50, ...new TextEncoder().encode("room:1"), 101, 118, 9, 8]);
    const back = decodeClientV2(frame);
    expect(back).toMatchObject({ join_ref: "1", ref: "2", topic: "room:1", event: "ev" });
    expect([...new Uint8Array(back.payload as ArrayBuffer)]).toEqual([9, 8]);
  });

  it("accepts typed-array payloads", () => {
    const frame = encodeV2(msg({ payload: new Uint8Array([1, 2, 3]).subarray(1) })) as ArrayBuffer;
    expect([...new Uint8Array(frame)].slice(-2)).toEqual([2, 3]);
  });

  it("encodes null refs as empty strings, decoded back to null by the server", () => {
    const frame = encodeV2(msg({ join_ref: null, ref: null, payload: bytes(1) }));
    expect(decodeClientV2(frame)).toMatchObject({ join_ref: null, ref: null });
  });

  it("refuses a header field over 255 bytes with an EncodeError naming it", () => {
    const long = "é".repeat(128); // 256 bytes of UTF-8
    try {
      encodeV2(msg({ topic: long, payload: bytes(1) }));
      throw new Error("did not throw");
    } catch (e) {
      expect(e).toBeInstanceOf(EncodeError);
      expect((e as EncodeError).field).toBe("topic");
    }
    expect(() => encodeV2(msg({ event: "x".repeat(255), payload: bytes(1) }))).not.toThrow();
  });

  it("decodes server push, reply and broadcast frames", () => {
    const push = encodeServerV2({ join_ref: "1", ref: null, topic: "t", event: "e", payload: bytes(7) });
    expect(decodeV2(push)).toMatchObject({ join_ref: "1", ref: null, topic: "t", event: "e" });
    const reply = encodeServerV2({ join_ref: "1", ref: "5", topic: "t", event: "phx_reply", payload: { status: "ok", response: bytes(1, 2) } });
    const decoded = decodeV2(reply);
    expect(decoded).toMatchObject({ join_ref: "1", ref: "5", topic: "t", event: "phx_reply", payload: { status: "ok" } });
    expect([...new Uint8Array((decoded.payload as { response: ArrayBuffer }).response)]).toEqual([1, 2]);
    const broadcast = encodeServerV2({ join_ref: null, ref: null, topic: "t", event: "b", payload: new TextEncoder().encode("hi") });
    const b = decodeV2(broadcast);
    expect(b).toMatchObject({ join_ref: null, ref: null, topic: "t", event: "b" });
    expect(text(b.payload as ArrayBuffer)).toBe("hi");
  });

  it("decodes non-ASCII and long header fields", () => {
    const topic = "room:" + "ü".repeat(40);
    const frame = encodeServerV2({ join_ref: null, ref: null, topic, event: "e", payload: bytes() });
    expect(decodeV2(frame).topic).toBe(topic);
  });

  it("decodes a frame given as a view into a larger buffer", () => {
    const frame = new Uint8Array(encodeServerV2({ join_ref: null, ref: null, topic: "t", event: "e", payload: bytes(5) }) as ArrayBuffer);
    const big = new Uint8Array(frame.length + 4);
    big.set(frame, 2);
    const view = big.subarray(2, 2 + frame.length);
    const m = decodeV2(view);
    expect([...new Uint8Array(m.payload as ArrayBuffer)]).toEqual([5]);
  });

  it("reports truncated frames, wrong lengths and unknown kinds", () => {
    expect(reason(() => decodeV2(bytes()))).toBe("truncated_binary");
    expect(reason(() => decodeV2(bytes(0, 1)))).toBe("truncated_binary");
    expect(reason(() => decodeV2(bytes(0, 5, 1, 1, 97)))).toBe("truncated_binary");
    expect(reason(() => decodeV2(bytes(1, 1, 1, 1, 1, 97)))).toBe("truncated_binary");
    expect(reason(() => decodeV2(bytes(2, 3, 0, 97)))).toBe("truncated_binary");
    expect(reason(() => decodeV2(bytes(9, 0, 0)))).toBe("unknown_binary_kind");
    expect(reason(() => decodeClientV2(bytes(1, 0, 0, 0, 0)))).toBe("unknown_binary_kind");
    expect(reason(() => decodeClientV2(bytes()))).toBe("truncated_binary");
    expect(reason(() => decodeClientV2(bytes(0, 9, 0, 0, 0)))).toBe("truncated_binary");
    expect(reason(() => decodeClientV2(5 as unknown as string))).toBe("unsupported_frame");
  });

  it("tells binary values apart", () => {
    expect(isBinary(bytes(1))).toBe(true);
    expect(isBinary(new Uint8Array(1))).toBe(true);
    expect(isBinary(new DataView(bytes(1)))).toBe(true);
    expect(isBinary("x")).toBe(false);
    expect(isBinary({})).toBe(false);
  });

  it("server-side encoding of JSON and of text decoded by the server", () => {
    expect(encodeServerV2(msg())).toBe('["1","2","room:1","ev",{"a":1}]');
    expect(decodeClientV2('["1","2","t","e",{}]')).toMatchObject({ topic: "t" });
  });
});

describe("V1 JSON objects", () => {
  it("round-trips", () => {
    const frame = encodeV1(msg());
    expect(JSON.parse(frame)).toEqual({ topic: "room:1", event: "ev", payload: { a: 1 }, ref: "2", join_ref: "1" });
    expect(decodeV1(frame)).toEqual(msg());
    expect(JSON.parse(encodeV1(msg({ join_ref: null })))).not.toHaveProperty("join_ref");
    expect(decodeV1('{"topic":"t","event":"e","ref":null}')).toEqual({ join_ref: null, ref: null, topic: "t", event: "e", payload: {} });
  });

  it("refuses binary payloads and bad frames", () => {
    expect(() => encodeV1(msg({ payload: bytes(1) }))).toThrow(EncodeError);
    expect(reason(() => decodeV1(bytes(1)))).toBe("unsupported_frame");
    expect(reason(() => decodeV1("x"))).toBe("not_json");
    expect(reason(() => decodeV1("[1]"))).toBe("not_object");
    expect(reason(() => decodeV1("null"))).toBe("not_object");
    expect(reason(() => decodeV1('{"topic":1,"event":"e"}'))).toBe("wrong_type");
    expect(reason(() => decodeV1('{"topic":"t","event":2}'))).toBe("wrong_type");
    expect(reason(() => decodeV1('{"topic":"t","event":"e","ref":3}'))).toBe("wrong_type");
    expect(reason(() => decodeV1('{"topic":"t","event":"e","join_ref":3}'))).toBe("wrong_type");
  });
});

describe("phoenix.js-shaped serializers", () => {
  it("call back with the frame and the message", () => {
    let frame: unknown;
    Serializer.encode(msg(), (f) => (frame = f));
    let back: unknown;
    Serializer.decode(frame as string, (m) => (back = m));
    expect(back).toEqual(msg());
    V1Serializer.encode(msg(), (f) => (frame = f));
    V1Serializer.decode(frame as string, (m) => (back = m));
    expect(back).toEqual(msg());
  });
});

describe("Serializer's phoenix.js statics", () => {
  it("has the header constants, binaryEncode for client pushes and binaryDecode for server frames", () => {
    expect([Serializer.HEADER_LENGTH, Serializer.META_LENGTH, Serializer.KINDS]).toEqual([1, 4, { push: 0, reply: 1, broadcast: 2 }]);
    const payload = new Uint8Array([1, 2, 3]).buffer;
    const push = { join_ref: "1", ref: "2", topic: "t", event: "e", payload };
    const frame = Serializer.binaryEncode(push);
    expect(frame).toBeInstanceOf(ArrayBuffer);
    expect(decodeClientV2(frame)).toMatchObject({ join_ref: "1", ref: "2", topic: "t", event: "e" });
    const reply = Serializer.binaryDecode(
      encodeServerV2({ join_ref: "1", ref: "2", topic: "t", event: "phx_reply", payload: { status: "ok", response: payload } }) as ArrayBuffer,
    );
    expect(reply).toMatchObject({ join_ref: "1", ref: "2", topic: "t", event: "phx_reply", payload: { status: "ok" } });
    expect([...new Uint8Array((reply.payload as { response: ArrayBuffer }).response)]).toEqual([1, 2, 3]);
  });
});

/**
 * Differential: the V2 Serializer (JSON arrays and binary frames), standalone and through a
 * socket, run against phoenix.js 1.8.16 (the oracle) and ours with the same expectations.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import { IMPLS, ManualTransport, joinOk, manualSocket, useCompatCleanup } from "./impls";

useCompatCleanup();

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];

/** An ArrayBuffer holding exactly `bytes`. */
function buf(bytes: number[]): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/** A server binary push frame (kind 0). */
function pushFrame(joinRef: string, topic: string, event: string, payload: number[]): ArrayBuffer {
  return buf([0, utf8(joinRef).length, utf8(topic).length, utf8(event).length, ...utf8(joinRef), ...utf8(topic), ...utf8(event), ...payload]);
}

/** A server binary reply frame (kind 1). */
function replyFrame(joinRef: string, ref: string, topic: string, status: string, payload: number[]): ArrayBuffer {
  return buf([
    1,
    utf8(joinRef).length,
    utf8(ref).length,
    utf8(topic).length,
    utf8(status).length,
    ...utf8(joinRef),
    ...utf8(ref),
    ...utf8(topic),
    ...utf8(status),
    ...payload,
  ]);
}

/** A server binary broadcast frame (kind 2). */
function broadcastFrame(topic: string, event: string, payload: number[]): ArrayBuffer {
  return buf([2, utf8(topic).length, utf8(event).length, ...utf8(topic), ...utf8(event), ...payload]);
}

const bytesOf = (b: ArrayBuffer): number[] => [...new Uint8Array(b)];

describe.each(IMPLS)("Serializer (%s)", (_name, impl) => {
  const S = impl.Serializer;

  function encode(msg: unknown): any {
    let out: unknown;
    S.encode(msg, (r: unknown) => {
      out = r;
    });
    return out;
  }
  function decode(raw: unknown): any {
    let out: unknown;
    S.decode(raw, (r: unknown) => {
      out = r;
    });
    return out;
  }

  it("encodes a message as a [join_ref, ref, topic, event, payload] JSON array", () => {
    expect(encode({ join_ref: "1", ref: "2", topic: "room:1", event: "new_msg", payload: { body: "hi" } })).toBe(
      '["1","2","room:1","new_msg",{"body":"hi"}]',
    );
  });

  it("encodes null refs as JSON null", () => {
    expect(encode({ join_ref: null, ref: null, topic: "t", event: "e", payload: {} })).toBe('[null,null,"t","e",{}]');
  });

  it("encodes unicode and nested payloads like JSON.stringify", () => {
    const payload = { text: "héllo ✓ 🐦", list: [1, { a: null }], n: 1.5 };
    expect(encode({ join_ref: "1", ref: "2", topic: "t", event: "e", payload })).toBe(JSON.stringify(["1", "2", "t", "e", payload]));
  });

  it("returns what the encode callback returns", () => {
    expect(S.encode({ join_ref: null, ref: "1", topic: "t", event: "e", payload: {} }, () => "result")).toBe("result");
  });

  it("decodes a JSON array into {join_ref, ref, topic, event, payload}", () => {
    expect(decode('["1","2","room:1","phx_reply",{"status":"ok","response":{}}]')).toEqual({
      join_ref: "1",
      ref: "2",
      topic: "room:1",
      event: "phx_reply",
      payload: { status: "ok", response: {} },
    });
  });

  it("decodes null refs as null", () => {
    expect(decode('[null,null,"t","e",{"a":1}]')).toEqual({ join_ref: null, ref: null, topic: "t", event: "e", payload: { a: 1 } });
  });

  it("round-trips a JSON message", () => {
    const msg = { join_ref: "5", ref: "6", topic: "x:y", event: "ev", payload: { deep: { list: [1, 2] } } };
    expect(decode(encode(msg))).toEqual(msg);
  });

  it("encodes a binary push byte for byte: kind 0, four sizes, join_ref, ref, topic, event, payload", () => {
    const out = encode({ join_ref: "12", ref: "345", topic: "room:1", event: "file", payload: buf([1, 2, 3, 255]) });
    expect(out).toBeInstanceOf(ArrayBuffer);
    expect(bytesOf(out)).toEqual([0, 2, 3, 6, 4, ...utf8("12"), ...utf8("345"), ...utf8("room:1"), ...utf8("file"), 1, 2, 3, 255]);
  });

  it("counts field sizes in UTF-8 bytes", () => {
    const out = encode({ join_ref: "1", ref: "2", topic: "salle:é", event: "✓", payload: buf([9]) });
    expect(bytesOf(out)).toEqual([0, 1, 1, 8, 3, ...utf8("1"), ...utf8("2"), ...utf8("salle:é"), ...utf8("✓"), 9]);
  });

  it("encodes an empty binary payload", () => {
    const out = encode({ join_ref: "1", ref: "2", topic: "t", event: "e", payload: new ArrayBuffer(0) });
    expect(bytesOf(out)).toEqual([0, 1, 1, 1, 1, ...utf8("12te")]);
  });

  it("refuses a binary push whose topic is over 255 bytes, in phoenix.js's words", () => {
    expect(() => encode({ join_ref: "1", ref: "2", topic: "t".repeat(256), event: "e", payload: buf([1]) })).toThrow(
      "unable to convert topic to binary: must be less than or equal to 255 bytes, but is 256 bytes",
    );
  });

  it("accepts a binary push whose topic is exactly 255 bytes", () => {
    const out = encode({ join_ref: "1", ref: "2", topic: "t".repeat(255), event: "e", payload: buf([1]) });
    expect(bytesOf(out).slice(0, 5)).toEqual([0, 1, 1, 255, 1]);
  });

  it("decodes a binary push (kind 0) with a null ref and the payload as an ArrayBuffer", () => {
    const msg = decode(pushFrame("7", "room:1", "file", [4, 5, 6]));
    expect({ ...msg, payload: undefined }).toEqual({ join_ref: "7", ref: null, topic: "room:1", event: "file", payload: undefined });
    expect(msg.payload).toBeInstanceOf(ArrayBuffer);
    expect(bytesOf(msg.payload)).toEqual([4, 5, 6]);
  });

  it("decodes a binary reply (kind 1) as phx_reply with {status, response: ArrayBuffer}", () => {
    const msg = decode(replyFrame("7", "8", "room:1", "ok", [1, 2]));
    expect([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload.status]).toEqual(["7", "8", "room:1", "phx_reply", "ok"]);
    expect(msg.payload.response).toBeInstanceOf(ArrayBuffer);
    expect(bytesOf(msg.payload.response)).toEqual([1, 2]);
  });

  it("decodes a binary broadcast (kind 2) with null refs", () => {
    const msg = decode(broadcastFrame("room:1", "blob", [9, 8, 7]));
    expect([msg.join_ref, msg.ref, msg.topic, msg.event]).toEqual([null, null, "room:1", "blob"]);
    expect(bytesOf(msg.payload)).toEqual([9, 8, 7]);
  });

  it("decodes UTF-8 field names in binary frames", () => {
    const msg = decode(broadcastFrame("salle:é", "✓", []));
    expect([msg.topic, msg.event]).toEqual(["salle:é", "✓"]);
    expect(msg.payload.byteLength).toBe(0);
  });
});

describe.each(IMPLS)("Binary frames through a socket (%s)", (_name, impl) => {
  it("sends a push with an ArrayBuffer payload as a binary frame", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const push = channel.push("upload", buf([1, 2, 3]));
    const last = t.sent[t.sent.length - 1] as ArrayBuffer;
    expect(last).toBeInstanceOf(ArrayBuffer);
    const jr = channel.joinRef();
    expect(bytesOf(last)).toEqual([
      0,
      utf8(jr).length,
      utf8(push.ref).length,
      utf8("room:1").length,
      utf8("upload").length,
      ...utf8(jr),
      ...utf8(push.ref),
      ...utf8("room:1"),
      ...utf8("upload"),
      1,
      2,
      3,
    ]);
  });

  it("delivers a binary broadcast to the channel's binding as an ArrayBuffer", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const cb = vi.fn();
    channel.on("blob", cb);
    t.onmessage!({ data: broadcastFrame("room:1", "blob", [5, 6]) });
    expect(cb).toHaveBeenCalledTimes(1);
    expect(bytesOf(cb.mock.calls[0]![0])).toEqual([5, 6]);
  });

  it("delivers a binary push for the current join to the binding", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const cb = vi.fn();
    channel.on("file", cb);
    t.onmessage!({ data: pushFrame(channel.joinRef(), "room:1", "file", [1]) });
    expect(bytesOf(cb.mock.calls[0]![0])).toEqual([1]);
  });

  it("drops a binary push for a stale join", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const cb = vi.fn();
    channel.on("file", cb);
    t.onmessage!({ data: pushFrame("999", "room:1", "file", [1]) });
    expect(cb).not.toHaveBeenCalled();
  });

  it("resolves a push with a binary reply's ArrayBuffer response", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const ok = vi.fn();
    const push = channel.push("get", {}).receive("ok", ok);
    t.onmessage!({ data: replyFrame(channel.joinRef(), push.ref, "room:1", "ok", [3, 1, 4]) });
    expect(ok).toHaveBeenCalledTimes(1);
    expect(bytesOf(ok.mock.calls[0]![0])).toEqual([3, 1, 4]);
  });

  it("delivers a binary error reply to receive('error')", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const error = vi.fn();
    const push = channel.push("get", {}).receive("error", error);
    t.onmessage!({ data: replyFrame(channel.joinRef(), push.ref, "room:1", "error", [0]) });
    expect(bytesOf(error.mock.calls[0]![0])).toEqual([0]);
  });

  it("sets the transport's binaryType from the socket option", () => {
    const { t } = manualSocket(impl, { binaryType: "blob" }, false);
    expect(t.binaryType).toBe("blob");
  });
});

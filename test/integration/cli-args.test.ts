/**
 * The CLI's input parsing and its static file mapping, in-process: what a user types (argv
 * values, stdin lines, URLs) becomes either a clean value or a usage error saying what is wrong.
 */
import { describe, expect, it } from "vitest";
import { CliUsageError, parsePairs, parsePayload, parsePort, parsePositiveInt, parsePushLine, parseSocketUrl } from "../../src/cli/args";
import { Printer, describeError, toPrintable } from "../../src/cli/output";
import { resolveStaticPath } from "../../src/cli/static";

describe("CLI argument parsing", () => {
  it("turns repeated k=v flags into params, keeping '=' inside values and the last repeated key", () => {
    expect(parsePairs(["a=1", "b=x=y", "a=2", "empty="], "--param")).toEqual({ a: "2", b: "x=y", empty: "" });
    expect(parsePairs(undefined, "--param")).toEqual({});
  });

  it("refuses a pair without a key or without '='", () => {
    expect(() => parsePairs(["novalue"], "--param")).toThrow(CliUsageError);
    expect(() => parsePairs(["=v"], "--join-param")).toThrow("--join-param expects key=value");
  });

  it("reads stdin lines as `event {json}`, skipping blanks and # comments", () => {
    expect(parsePushLine('echo {"a": [1, 2]}', 1)).toEqual({ event: "echo", payload: { a: [1, 2] } });
    expect(parsePushLine("  ping  ", 2)).toEqual({ event: "ping", payload: {} });
    expect(parsePushLine("", 3)).toBeNull();
    expect(parsePushLine("# just a note", 4)).toBeNull();
  });

  it("says which stdin line is wrong and why", () => {
    expect(() => parsePushLine("echo {nope", 7)).toThrow(/^line 7: the payload is not valid JSON/);
    expect(() => parsePushLine('{"a":1}', 8)).toThrow(/line 8: .*no event name/);
    expect(() => parsePushLine("echo 42", 9)).toThrow(/line 9: the payload must be a JSON object/);
    expect(() => parsePushLine("echo null", 10)).toThrow(/must be a JSON object/);
  });

  it("accepts ws, wss, http and https socket URLs and drops a pasted transport suffix", () => {
    expect(parseSocketUrl("ws://127.0.0.1:4000/socket")).toBe("ws://127.0.0.1:4000/socket");
    expect(parseSocketUrl("ws://127.0.0.1:4000/socket/websocket")).toBe("ws://127.0.0.1:4000/socket");
    expect(parseSocketUrl("https://example.com/live/longpoll/")).toBe("https://example.com/live");
    expect(() => parseSocketUrl("127.0.0.1:4000/socket")).toThrow(CliUsageError);
    expect(() => parseSocketUrl("not a url")).toThrow(/is not a URL/);
  });

  it("checks numbers: timeouts must be positive integers, ports 0..65535", () => {
    expect(parsePositiveInt(undefined, "--timeout", 10000)).toBe(10000);
    expect(parsePositiveInt("250", "--timeout", 10000)).toBe(250);
    expect(() => parsePositiveInt("0", "--timeout", 1)).toThrow("--timeout expects a positive integer");
    expect(() => parsePositiveInt("1.5", "--timeout", 1)).toThrow(CliUsageError);
    expect(parsePort("0", 4000)).toBe(0);
    expect(parsePort(undefined, 4000)).toBe(4000);
    expect(() => parsePort("65536", 4000)).toThrow(CliUsageError);
    expect(() => parsePort("http", 4000)).toThrow(CliUsageError);
  });

  it("parses an empty payload argument as {}", () => {
    expect(parsePayload(undefined, "arg")).toEqual({});
    expect(parsePayload("  ", "arg")).toEqual({});
  });
});

describe("CLI output", () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, sink: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
  };

  it("prints binary payloads as base64 so JSON lines stay JSON", () => {
    expect(toPrintable(new Uint8Array([1, 2, 3, 4, 255]).buffer)).toEqual({ $binary: "AQIDBP8=" });
    expect(toPrintable(new Uint8Array([9, 1, 2]).subarray(1))).toEqual({ $binary: "AQI=" });
    const { out, sink } = capture();
    new Printer(true, sink).message({ topic: "t", event: "bin", payload: new Uint8Array([255]).buffer, ref: null, join_ref: "1" });
    expect(JSON.parse(out[0] as string)).toEqual({ type: "message", topic: "t", event: "bin", payload: { $binary: "/w==" }, ref: null, join_ref: "1" });
  });

  it("keeps data on stdout and progress notes on stderr in readable mode", () => {
    const { out, err, sink } = capture();
    const p = new Printer(false, sink);
    p.joined("room:1", {}, false);
    p.message({ topic: "room:1", event: "new_msg", payload: { body: "hi" } });
    p.reply("echo", "ok", { a: 1 });
    p.reply("slow", "timeout", null);
    p.state({ from: "open", to: "reconnecting", reason: "transport closed", attempt: 2, nextRetryInMs: 50 });
    expect(out).toEqual(['[room:1] new_msg {"body":"hi"}', 'reply echo ok {"a":1}', "reply slow timeout (no reply)"]);
    expect(err).toEqual(["joined room:1", "connection reconnecting, attempt 2, next retry in 50 ms, transport closed"]);
  });

  it("describes errors of every shape in one line", () => {
    expect(describeError(new Error("boom"))).toBe("boom");
    expect(describeError({ type: "error", message: "Unexpected server response: 403" })).toBe("Unexpected server response: 403");
    expect(describeError({ code: 1006 })).toBe("closed with code 1006");
    expect(describeError(403)).toBe("HTTP status 403");
    expect(describeError({ weird: true })).toBe('{"weird":true}');
  });
});

describe("static file mapping of `serve`", () => {
  const mount = { prefix: "/dist/", dir: "/srv/app/dist" };

  it("maps paths under the prefix into the directory, with index.html for directories", () => {
    expect(resolveStaticPath(mount, "/dist/index.mjs")).toBe("/srv/app/dist/index.mjs");
    expect(resolveStaticPath(mount, "/dist/")).toBe("/srv/app/dist/index.html");
    expect(resolveStaticPath({ prefix: "/", dir: "/srv/app/demo" }, "/")).toBe("/srv/app/demo/index.html");
  });

  it("never leaves the directory, whatever the encoding", () => {
    expect(resolveStaticPath(mount, "/dist/../package.json")).toBeNull();
    expect(resolveStaticPath(mount, "/dist/%2e%2e/package.json")).toBeNull();
    expect(resolveStaticPath(mount, "/dist/..%2fpackage.json")).toBeNull();
    expect(resolveStaticPath(mount, "/dist/a%00b")).toBeNull();
    expect(resolveStaticPath(mount, "/dist/%E0%A4%A")).toBeNull();
    expect(resolveStaticPath(mount, "/other/x.js")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors";
import {
  DEFAULT_TOKEN_MAX_AGE_MS,
  newSessionId,
  signLongPollToken,
  verifyLongPollToken,
} from "../../src/server/longpoll-token";

const secret = "a test secret that is long enough";
const now = 1_800_000_000_000;

describe("long-poll session tokens", () => {
  it("a token the server signed verifies and names its session and path", () => {
    const sid = newSessionId();
    const token = signLongPollToken(secret, { path: "/socket", sid, now });
    const result = verifyLongPollToken(secret, token, { path: "/socket", now: now + 1000 });
    expect(result).toEqual({
      ok: true,
      claims: { v: 1, path: "/socket", sid, iat: now, exp: now + DEFAULT_TOKEN_MAX_AGE_MS },
    });
  });

  it("binary secrets work like string secrets", () => {
    const key = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const token = signLongPollToken(key, { path: "/socket", sid: "s1", now });
    expect(verifyLongPollToken(key, token, { path: "/socket", now }).ok).toBe(true);
    expect(verifyLongPollToken(new Uint8Array([1, 2, 3]), token, { path: "/socket", now })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("a token signed with another secret is refused (e.g. after a server restart)", () => {
    const token = signLongPollToken("another secret", { path: "/socket", sid: "s1", now });
    expect(verifyLongPollToken(secret, token, { path: "/socket", now })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("a token with a tampered signature or tampered claims is refused", () => {
    const token = signLongPollToken(secret, { path: "/socket", sid: "s1", now });
    const [body, sig] = token.split(".") as [string, string];
    const flipped = sig.slice(0, -2) + (sig.endsWith("AA") ? "BB" : "AA");
    expect(verifyLongPollToken(secret, `${body}.${flipped}`, { path: "/socket", now }).ok).toBe(false);

    const forgedClaims = Buffer.from(
      JSON.stringify({ v: 1, path: "/socket", sid: "someone-else", iat: now, exp: now + 1e9 }),
    ).toString("base64url");
    expect(verifyLongPollToken(secret, `${forgedClaims}.${sig}`, { path: "/socket", now })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("a token past its max age is refused as expired", () => {
    const token = signLongPollToken(secret, { path: "/socket", sid: "s1", now, maxAgeMs: 5000 });
    expect(verifyLongPollToken(secret, token, { path: "/socket", now: now + 4999 }).ok).toBe(true);
    expect(verifyLongPollToken(secret, token, { path: "/socket", now: now + 5000 })).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("a token from another socket path is refused", () => {
    const token = signLongPollToken(secret, { path: "/socket", sid: "s1", now });
    expect(verifyLongPollToken(secret, token, { path: "/auth_socket", now })).toEqual({
      ok: false,
      reason: "wrong_path",
    });
  });

  it("garbage of every kind is refused as malformed, never thrown", () => {
    const garbage: unknown[] = [
      undefined,
      null,
      42,
      {},
      "",
      "no-dot",
      ".",
      "a.b.c",
      ".sig",
      "body.",
      "bo dy.sig",
      "x".repeat(5000),
      "SFMyNTY.g2gDaARkAAJ2MW0AAAAW.vfJwGQCNtY4KXEWIyuWfdviAgw4qXU-5Kbabi6D78VE",
      "%%%.%%%",
    ];
    for (const token of garbage) {
      const result = verifyLongPollToken(secret, token, { path: "/socket", now });
      expect(result.ok, String(token)).toBe(false);
    }
    expect(verifyLongPollToken(secret, "", { path: "/socket", now })).toEqual({ ok: false, reason: "malformed" });
  });

  it("a correctly signed body that is not valid claims JSON is refused as malformed", () => {
    // Only the server can produce a valid signature, so sign a bad body the way the module does.
    const good = signLongPollToken(secret, { path: "/socket", sid: "s1", now });
    const badBody = Buffer.from("[1,2,3]").toString("base64url");
    const result = verifyLongPollToken(secret, `${badBody}.${good.split(".")[1]}`, { path: "/socket", now });
    expect(result.ok).toBe(false);
  });

  it("an empty secret is a usage error, not a silently weak signature", () => {
    expect(() => signLongPollToken("", { path: "/socket", sid: "s1" })).toThrow(UsageError);
    expect(() => verifyLongPollToken(new Uint8Array(0), "a.b", { path: "/socket" })).toThrow(UsageError);
  });

  it("session ids are unique and URL-safe", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

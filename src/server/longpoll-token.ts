/**
 * Signed, expiring long-poll session tokens.
 *
 * A token names one long-poll session and the socket path (mount) that created it. It is
 * `base64url(JSON claims) "." base64url(HMAC-SHA256)`; the server keeps no table of issued
 * tokens, so a token that verifies is only a claim: the session it names must still exist.
 * Binding the path stops a token minted for `/socket` from resuming a session on `/auth_socket`
 * (whose `connect` may be stricter).
 * Node only (node:crypto).
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { UsageError } from "../errors";

/** What a token says. Short keys keep tokens small: they travel on every poll. */
export interface LongPollTokenClaims {
  /** Format version. */
  readonly v: 1;
  /** The socket path (mount) that issued the token, e.g. "/socket". */
  readonly path: string;
  /** The session id. */
  readonly sid: string;
  /** Issued at, ms since the epoch. */
  readonly iat: number;
  /** Expires at, ms since the epoch. */
  readonly exp: number;
}

/** Why a token was refused. Callers treat every reason alike (an unknown session); tests and logs tell them apart. */
export type TokenRejection = "malformed" | "bad_signature" | "expired" | "wrong_path";

/** The outcome of {@link verifyLongPollToken}. */
export type TokenVerification = { ok: true; claims: LongPollTokenClaims } | { ok: false; reason: TokenRejection };

/** Phoenix's default `max_age` for long-poll tokens: two weeks. */
export const DEFAULT_TOKEN_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

// Anything longer than this was not minted here; refusing early keeps HMAC work bounded.
const MAX_TOKEN_LENGTH = 1024;
// Domain separation: the endpoint secret may sign other things one day.
const CONTEXT = "phx-channels/longpoll/v1\n";

function keyOf(secret: Uint8Array | string): Buffer {
  const key = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
  if (key.length === 0) throw new UsageError("the long-poll token secret must not be empty");
  return key;
}

function sign(key: Buffer, body: string): Buffer {
  return createHmac("sha256", key).update(CONTEXT).update(body).digest();
}

/** A fresh random session id (128 bits, base64url). */
export function newSessionId(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * Signs a token for session `sid` on socket `path`, valid for `maxAgeMs` from `now`.
 * @throws UsageError when the secret is empty.
 * @example
 * ```ts
 * const token = signLongPollToken(secret, { path: "/socket", sid: newSessionId() });
 * ```
 */
export function signLongPollToken(
  secret: Uint8Array | string,
  opts: { path: string; sid: string; now?: number; maxAgeMs?: number },
): string {
  const now = opts.now ?? Date.now();
  const claims: LongPollTokenClaims = {
    v: 1,
    path: opts.path,
    sid: opts.sid,
    iat: now,
    exp: now + (opts.maxAgeMs ?? DEFAULT_TOKEN_MAX_AGE_MS),
  };
  const body = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url");
  return `${body}.${sign(keyOf(secret), body).toString("base64url")}`;
}

/**
 * Checks a token's signature, expiry and socket path. Never throws on bad input: any string
 * (or anything else) yields a result.
 * @throws UsageError only when the secret itself is empty (a server misconfiguration).
 * @example
 * ```ts
 * const result = verifyLongPollToken(secret, token, { path: "/socket" });
 * if (result.ok) resume(result.claims.sid);
 * ```
 */
export function verifyLongPollToken(
  secret: Uint8Array | string,
  token: unknown,
  opts: { path: string; now?: number },
): TokenVerification {
  const key = keyOf(secret);
  if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return { ok: false, reason: "malformed" };
  }
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return { ok: false, reason: "malformed" };
  const body = token.slice(0, dot);
  const given = token.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(given)) return { ok: false, reason: "malformed" };
  const expected = sign(key, body);
  const actual = Buffer.from(given, "base64url");
  // Re-encoding catches non-canonical base64url (extra trailing bits) that would decode to the same bytes.
  if (
    actual.length !== expected.length ||
    actual.toString("base64url") !== given ||
    !timingSafeEqual(actual, expected)
  ) {
    return { ok: false, reason: "bad_signature" };
  }
  const claims = parseClaims(body);
  if (claims === null) return { ok: false, reason: "malformed" };
  if (claims.exp <= (opts.now ?? Date.now())) return { ok: false, reason: "expired" };
  if (claims.path !== opts.path) return { ok: false, reason: "wrong_path" };
  return { ok: true, claims };
}

function parseClaims(body: string): LongPollTokenClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const c = value as Record<string, unknown>;
  if (
    c.v !== 1 ||
    typeof c.path !== "string" ||
    typeof c.sid !== "string" ||
    typeof c.iat !== "number" ||
    typeof c.exp !== "number"
  ) {
    return null;
  }
  return { v: 1, path: c.path, sid: c.sid, iat: c.iat, exp: c.exp };
}

/**
 * Replays a long-poll recording (HTTP exchanges, in order) against a running server and checks
 * each answer: HTTP status, the JSON body byte for byte once session tokens are mapped (they vary),
 * and the headers that carry protocol meaning (content-type, cache-control, CORS).
 */
import type { LpExchange, LpRecording } from "./recordings";

/** What one live exchange answered. */
export interface LiveResponse {
  status: number;
  headers: Headers;
  /** The body with live session tokens replaced by the recorded ones. */
  body: string;
  /** The raw live body. */
  rawBody: string;
}

/** Deliberate differences from a recording, per exchange index: a check replacing the recorded comparison. */
export interface LpExpectations {
  override?: Record<number, (res: LiveResponse, recorded: LpExchange) => void>;
  /** Wait this long (ms) before the exchange at this index (the recording's idle periods). */
  waits?: Record<number, number>;
}

const COMPARED_HEADERS = ["content-type", "cache-control"];

function tokenOf(body: string): string | undefined {
  try {
    const v = JSON.parse(body) as { token?: unknown };
    return typeof v.token === "string" ? v.token : undefined;
  } catch {
    return undefined;
  }
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Recorded token → live token, including deliberately tampered copies of recorded tokens. */
class TokenMap {
  private readonly map = new Map<string, string>();

  learn(recorded: string, live: string): void {
    this.map.set(recorded, live);
  }

  live(value: string): string {
    const known = this.map.get(value);
    if (known !== undefined) return known;
    // A tampered recorded token (e.g. signature bytes replaced): apply the same edit to the live one.
    let best: [string, string, number] | undefined;
    for (const [rec, live] of this.map) {
      const n = commonPrefix(rec, value);
      if (n >= 40 && (!best || n > best[2])) best = [rec, live, n];
    }
    if (!best || best[0].length !== value.length) return value;
    const [rec, live, n] = best;
    return live.slice(0, live.length - (rec.length - n)) + value.slice(n);
  }

  /** Rewrites a live body so its tokens read as the recorded ones. */
  recordedView(live: string): string {
    let out = live;
    for (const [rec, l] of this.map) if (out.includes(l)) out = out.split(l).join(rec);
    return out;
  }
}

/** Replays `rec` against `http://127.0.0.1:${port}`; throws on the first difference. */
export async function replayLp(rec: LpRecording, port: number, exp: LpExpectations = {}): Promise<void> {
  const tokens = new TokenMap();
  for (let i = 0; i < rec.exchanges.length; i++) {
    const ex = rec.exchanges[i] as LpExchange;
    const where = `${rec.file} exchange ${i} (${ex.request.method} ${ex.request.url.replace(/token=[^&]*/, "token=…")})`;
    const wait = exp.waits?.[i];
    if (wait) await new Promise((r) => setTimeout(r, wait));
    const recordedUrl = new URL(ex.request.url);
    const url = new URL(`http://127.0.0.1:${port}${recordedUrl.pathname}`);
    for (const [k, v] of recordedUrl.searchParams) url.searchParams.append(k, k === "token" ? tokens.live(v) : v);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ex.request.headers ?? {})) {
      headers[k] = k.toLowerCase() === "x-phoenix-longpoll-token" ? tokens.live(String(v)) : String(v);
    }
    const res = await fetch(url, {
      method: ex.request.method,
      headers,
      ...(ex.request.body !== undefined ? { body: ex.request.body } : {}),
    });
    const rawBody = await res.text();
    const recordedToken = tokenOf(ex.response.body);
    const liveToken = tokenOf(rawBody);
    if (recordedToken !== undefined && liveToken !== undefined) tokens.learn(recordedToken, liveToken);
    const live: LiveResponse = { status: res.status, headers: res.headers, body: tokens.recordedView(rawBody), rawBody };
    const override = exp.override?.[i];
    if (override) {
      override(live, ex);
      continue;
    }
    if (live.status !== ex.response.status) throw new Error(`${where}: HTTP ${live.status}, recorded ${ex.response.status}; body ${rawBody}`);
    if (live.body !== ex.response.body) throw new Error(`${where}: body ${live.body}\n  recorded ${ex.response.body}`);
    for (const h of [...COMPARED_HEADERS, ...Object.keys(ex.response.headers).filter((k) => k.startsWith("access-control-"))]) {
      const want = ex.response.headers[h];
      if (want !== undefined && live.headers.get(h) !== want) {
        throw new Error(`${where}: header ${h} is ${String(live.headers.get(h))}, recorded ${want}`);
      }
    }
  }
}

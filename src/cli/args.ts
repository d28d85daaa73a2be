/**
 * Parsing of the command line's values: `k=v` pairs, JSON payloads, socket URLs and the
 * `event {json}` lines read from stdin. Pure functions, so every bad input gets the same
 * {@link CliUsageError} whether it came from argv or stdin.
 * @module
 */

/** Exit codes of the `phx-channels` command, so scripts can tell failures apart. */
export const EXIT = {
  ok: 0,
  /** A push answered "error", timed out, or a stdin line could not be sent. */
  failed: 1,
  /** Bad arguments. */
  usage: 2,
  /** The socket could not connect (refused, nothing listening, bad URL scheme...). */
  connect: 3,
  /** The channel join was refused or timed out. */
  join: 4,
} as const;

/** A mistake in what the user typed: reported with the usage hint, exit code 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

/** A JSON value as the CLI reads it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Turns repeated `--param k=v` values into an object. The value may itself contain `=`;
 * a repeated key keeps the last value, as a query string would.
 */
export function parsePairs(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of values ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliUsageError(`${flag} expects key=value, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** A push payload: Phoenix channels receive a JSON object (an Elixir map). */
export type JsonObject = { [key: string]: Json };

/** Parses a JSON object payload given on the command line or stdin; empty means `{}`. */
export function parsePayload(text: string | undefined, where: string): JsonObject {
  const trimmed = (text ?? "").trim();
  if (trimmed === "") return {};
  let value: Json;
  try {
    value = JSON.parse(trimmed) as Json;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CliUsageError(`${where}: the payload is not valid JSON (${why})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CliUsageError(`${where}: the payload must be a JSON object like {"key": "value"}, got ${trimmed}`);
  }
  return value;
}

/** One push read from stdin. */
export interface PushLine {
  event: string;
  payload: JsonObject;
}

/**
 * Parses a stdin line `event {json}` (the payload is optional). Returns null for blank lines
 * and `#` comments so scripts can be annotated.
 */
export function parsePushLine(line: string, lineNo: number): PushLine | null {
  const trimmed = line.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return null;
  const match = /^(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return null;
  const event = match[1] as string;
  if (event.startsWith("{") || event.startsWith("[")) {
    throw new CliUsageError(`line ${lineNo}: expected "event {json}", the line starts with JSON and has no event name`);
  }
  return { event, payload: parsePayload(match[2], `line ${lineNo}`) };
}

/**
 * Checks a socket URL and normalizes it to the socket's mount path: a pasted
 * `.../socket/websocket` or `.../socket/longpoll` loses its transport suffix, which the client adds.
 */
export function parseSocketUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliUsageError(`"${raw}" is not a URL; expected something like ws://127.0.0.1:4000/socket`);
  }
  if (!["ws:", "wss:", "http:", "https:"].includes(url.protocol)) {
    throw new CliUsageError(`"${raw}" must start with ws://, wss://, http:// or https://`);
  }
  url.pathname = url.pathname.replace(/\/(websocket|longpoll)\/?$/, "");
  return url.toString().replace(/\/$/, "");
}

/** Parses a positive integer option such as `--timeout 5000`. */
export function parsePositiveInt(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new CliUsageError(`${flag} expects a positive integer, got "${raw}"`);
  return n;
}

/** Parses a TCP port (0 = any free port). */
export function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliUsageError(`--port expects 0..65535, got "${raw}"`);
  return n;
}

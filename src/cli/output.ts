/**
 * What the CLI prints. With `--json` every line on stdout is one JSON object with a `type`
 * (`joined`, `message`, `reply`, `state`, `error`), so scripts can pipe it into `jq`; without it,
 * data goes to stdout as readable lines and progress notes go to stderr.
 * @module
 */
import { Buffer } from "node:buffer";

/** Where the CLI writes; injectable so the formatting is testable without a process. */
export interface Sink {
  out(line: string): void;
  err(line: string): void;
}

/** The process's own stdout/stderr. */
export const processSink: Sink = {
  out: (line) => void process.stdout.write(line + "\n"),
  err: (line) => void process.stderr.write(line + "\n"),
};

/** Binary payloads cannot go into JSON as-is: they travel as `{"$binary": "<base64>"}`. */
export function toPrintable(payload: unknown): unknown {
  if (payload instanceof ArrayBuffer) return { $binary: Buffer.from(payload).toString("base64") };
  if (ArrayBuffer.isView(payload)) {
    return { $binary: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("base64") };
  }
  return payload;
}

function compact(value: unknown): string {
  try {
    const text = JSON.stringify(toPrintable(value));
    return text === undefined ? String(value) : text;
  } catch {
    return String(value);
  }
}

/** A one-line description of an error, whatever shape the transport gave it. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "string") return err;
  if (typeof err === "number") return `HTTP status ${err}`;
  if (err && typeof err === "object") {
    const o = err as { message?: unknown; error?: unknown; type?: unknown; reason?: unknown; code?: unknown };
    if (typeof o.message === "string" && o.message) return o.message;
    if (o.error instanceof Error) return o.error.message;
    if (typeof o.reason === "string" && o.reason) return o.reason;
    if (typeof o.code === "number") return `closed with code ${o.code}`;
    if (typeof o.type === "string") return o.type;
  }
  return compact(err);
}

/** Prints messages, replies and state changes in the chosen format. */
export class Printer {
  constructor(
    private readonly json: boolean,
    private readonly sink: Sink = processSink,
  ) {}

  private emit(record: Record<string, unknown>): void {
    this.sink.out(compact(record));
  }

  /** The channel joined (again, after a reconnect). */
  joined(topic: string, response: unknown, rejoin: boolean): void {
    if (this.json) this.emit({ type: "joined", topic, response: toPrintable(response ?? null), rejoin });
    else this.sink.err(`${rejoin ? "rejoined" : "joined"} ${topic}`);
  }

  /** A message the server sent on the topic (a push, a broadcast, presence, phx_close...). */
  message(msg: { topic: string; event: string; payload: unknown; ref?: string | null; join_ref?: string | null }): void {
    if (this.json) {
      this.emit({ type: "message", topic: msg.topic, event: msg.event, payload: toPrintable(msg.payload), ref: msg.ref ?? null, join_ref: msg.join_ref ?? null });
    } else {
      this.sink.out(`[${msg.topic}] ${msg.event} ${compact(msg.payload)}`);
    }
  }

  /** The outcome of a push: "ok" / "error" with the response, or "timeout". */
  reply(event: string, status: string, response: unknown): void {
    if (this.json) this.emit({ type: "reply", event, status, response: toPrintable(response ?? null) });
    else this.sink.out(status === "timeout" ? `reply ${event} timeout (no reply)` : `reply ${event} ${status} ${compact(response)}`);
  }

  /** A connection state change: printed so the user sees reconnects happen. */
  state(change: { from?: unknown; to: unknown; reason?: unknown; attempt?: unknown; nextRetryInMs?: unknown }): void {
    if (this.json) {
      this.emit({
        type: "state",
        from: change.from ?? null,
        to: change.to,
        reason: change.reason === undefined ? null : describeError(change.reason),
        attempt: change.attempt ?? null,
        nextRetryInMs: change.nextRetryInMs ?? null,
      });
      return;
    }
    const parts = [`connection ${String(change.to)}`];
    if (typeof change.attempt === "number" && change.attempt > 0) parts.push(`attempt ${change.attempt}`);
    if (typeof change.nextRetryInMs === "number") parts.push(`next retry in ${Math.round(change.nextRetryInMs)} ms`);
    if (change.reason !== undefined && change.reason !== null && change.to !== "open") parts.push(describeError(change.reason));
    this.sink.err(parts.join(", "));
  }

  /** A problem that does not end the command (bad stdin line, rejoin refused...). */
  warn(message: string): void {
    if (this.json) this.emit({ type: "error", message });
    this.sink.err(`phx-channels: ${message}`);
  }

  /** A plain note for humans (never on stdout, so it cannot corrupt piped data). */
  note(message: string): void {
    this.sink.err(message);
  }
}

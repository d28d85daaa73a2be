/**
 * Typed errors. Every failure the SDK reports is one of these, so apps can branch on
 * `instanceof` or on `code` instead of parsing messages.
 * @module
 */

/** Base class of every error raised by phx-channels. */
export class PhxError extends Error {
  /** A stable machine-readable code, e.g. `"decode"`, `"push_timeout"`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = "PhxError";
    this.code = code;
    // `cause` is assigned by hand: ES2022's Error options are not everywhere we run (RN, old Safari).
    if (options && "cause" in options) {
      Object.defineProperty(this, "cause", { value: options.cause, writable: true, configurable: true });
    }
  }
}

/** What was wrong with an inbound frame. */
export type DecodeFailure =
  | "not_json"
  | "not_array"
  | "wrong_length"
  | "wrong_type"
  | "not_object"
  | "truncated_binary"
  | "unknown_binary_kind"
  | "unsupported_frame";

/**
 * A frame that could not be decoded. The connection keeps working: only this frame is lost,
 * and it is reported to `onError` and the logger.
 */
export class DecodeError extends PhxError {
  /** What was wrong. */
  readonly reason: DecodeFailure;
  /** The raw frame, for logging (a string, or the binary frame). */
  readonly frame: unknown;
  constructor(reason: DecodeFailure, message: string, frame: unknown, options?: { cause?: unknown }) {
    super("decode", message, options);
    this.name = "DecodeError";
    this.reason = reason;
    this.frame = frame;
  }
}

/** A message that cannot be put on the wire (e.g. a binary header field over 255 bytes). */
export class EncodeError extends PhxError {
  /** The field at fault, e.g. `"topic"`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super("encode", message);
    this.name = "EncodeError";
    this.field = field;
  }
}

/** How a push ended when it did not end with `ok`. */
export type PushFailureStatus = "error" | "timeout" | "dropped";

/**
 * The rejection of an awaited push, join or leave.
 * `status` is `"error"` (the server replied with an error; `response` holds its payload),
 * `"timeout"` (no reply in time) or `"dropped"` (a bounded buffer dropped it).
 *
 * @example
 * ```ts
 * try { await channel.push("new_msg", {body}) }
 * catch (e) { if (e instanceof PushError && e.status === "timeout") retry() }
 * ```
 */
export class PushError<R = unknown> extends PhxError {
  /** `"error"`, `"timeout"` or `"dropped"`. */
  readonly status: PushFailureStatus;
  /** The server's response for `"error"`; `undefined` otherwise. */
  readonly response: R;
  /** The event that was pushed. */
  readonly event: string;
  /** The topic it was pushed to. */
  readonly topic: string;
  constructor(status: PushFailureStatus, response: R, event: string, topic: string, options?: { cause?: unknown }) {
    super(
      `push_${status}`,
      `"${event}" on "${topic}" ${status === "error" ? "got an error reply" : status === "timeout" ? "got no reply in time" : "was dropped: buffer full"}`,
      options,
    );
    this.name = "PushError";
    this.status = status;
    this.response = response;
    this.event = event;
    this.topic = topic;
  }
}

/** Misuse of the API (e.g. `join()` twice on one channel instance). */
export class UsageError extends PhxError {
  constructor(message: string) {
    super("usage", message);
    this.name = "UsageError";
  }
}

/** The transport failed or closed unexpectedly; `cause` holds the transport's event. */
export class ConnectionError extends PhxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("connection", message, options);
    this.name = "ConnectionError";
  }
}

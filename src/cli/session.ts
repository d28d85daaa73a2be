/**
 * The part `join` and `push` share: open a socket with the user's options, join one topic, and
 * turn a refused connect or join into a clear {@link CliFailure} instead of endless retries.
 * Once connected, the client's own reconnect and rejoin take over.
 * @module
 */
import { LongPoll, Socket, type Channel } from "../node";
import { CHANNEL_EVENTS, type Message } from "../protocol";
import { EXIT } from "./args";
import { describeError, type Printer } from "./output";

/** A failure that ends the command with `exitCode` after printing `message`. */
export class CliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = "CliFailure";
  }
}

/** What the user asked for on the command line. */
export interface SessionOptions {
  url: string;
  topic: string;
  /** Connect params (`--param k=v`). */
  params: Record<string, string>;
  /** Join payload (`--join-param k=v`). */
  joinParams: Record<string, string>;
  token?: string;
  longpoll: boolean;
  /** Join / push timeout in ms. */
  timeoutMs: number;
  verbose: boolean;
}

/** Callbacks installed before connecting, so nothing that arrives right after the join is missed. */
export interface SessionHooks {
  /** Every message the server sends on the topic, except replies (those go to the pushes). */
  message?: (msg: Message) => void;
  /** The channel joined (`rejoin`: again, after a reconnect or a channel error). */
  joined?: (response: unknown, rejoin: boolean) => void;
}

/** A connected socket with its joined channel. */
export interface Session {
  socket: Socket;
  channel: Channel;
  /** Leaves, disconnects and resolves once the socket is closed (bounded, never hangs). */
  close(): Promise<void>;
}

function hint(reason: string): string {
  if (/\b403\b/.test(reason) || /forbidden/i.test(reason)) {
    const check = "check --param / --token, the Origin and the socket path";
    return /refused/i.test(reason) ? ` (${check})` : ` (refused by the server: ${check})`;
  }
  if (/ECONNREFUSED/.test(reason)) return " (nothing is listening there)";
  if (/\b404\b/.test(reason)) return " (no socket at that path)";
  return "";
}

/**
 * Connects and joins. Rejects with a {@link CliFailure} (exit code 3) when the very first
 * connection attempt fails, or (exit code 4) when the join is refused or times out.
 */
export function openSession(opts: SessionOptions, printer: Printer, hooks: SessionHooks = {}): Promise<Session> {
  const socket = new Socket(opts.url, {
    params: opts.params,
    timeout: opts.timeoutMs,
    ...(opts.token === undefined ? {} : { authToken: opts.token }),
    ...(opts.longpoll ? { transport: LongPoll } : {}),
    // Node has no page lifecycle; say so instead of relying on feature detection.
    lifecycle: false,
    ...(opts.verbose ? { logger: (kind: string, msg: string, data?: unknown) => printer.note(`[${kind}] ${msg} ${data === undefined ? "" : describeError(data)}`) } : {}),
  });
  const channel = socket.channel(opts.topic, opts.joinParams);

  let opened = false;
  let joined = false;
  let settled = false;
  let closing = false;

  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      closing = true;
      const timer = setTimeout(resolve, 1000);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      try {
        if (joined) channel.leave(Math.min(opts.timeoutMs, 1000));
        socket.disconnect(done, 1000, "cli done");
      } catch {
        done();
      }
    });

  return new Promise<Session>((resolve, reject) => {
    const fail = (code: number, message: string): void => {
      if (settled) return;
      settled = true;
      // Stop the client's retry loop first: the command is ending.
      void close().then(() => reject(new CliFailure(code, message)));
    };

    socket.onOpen(() => {
      opened = true;
    });
    socket.onMessage((msg: Message) => {
      if (msg.topic === opts.topic && msg.event !== CHANNEL_EVENTS.reply) hooks.message?.(msg);
    });
    // The first connect is reported by its outcome (joined, or the failure); what is worth
    // printing is the connection going away and coming back.
    socket.onStateChange((change) => {
      if (opened && !closing && (opts.verbose || change.to !== "connecting")) printer.state(change);
    });
    const firstFailure = (reason: unknown): void => {
      if (opened || settled) return;
      const text = describeError(reason);
      fail(EXIT.connect, `cannot connect to ${opts.url}: ${text}${hint(text)}`);
    };
    socket.onError((err: unknown) => firstFailure(err));
    socket.onClose((event: unknown) => firstFailure(event));

    socket.connect();
    channel
      .join(opts.timeoutMs)
      .receive("ok", (response: unknown) => {
        const rejoin = joined;
        joined = true;
        hooks.joined?.(response, rejoin);
        if (!settled) {
          settled = true;
          resolve({ socket, channel, close });
        }
      })
      .receive("error", (reason: unknown) => {
        if (!joined) fail(EXIT.join, `join ${opts.topic} refused by the server: ${JSON.stringify(reason)}`);
        else printer.warn(`rejoin of ${opts.topic} refused: ${JSON.stringify(reason)} (the client keeps retrying)`);
      })
      .receive("timeout", () => {
        if (joined) return;
        if (opened) fail(EXIT.join, `join ${opts.topic} timed out after ${opts.timeoutMs} ms`);
        else fail(EXIT.connect, `cannot connect to ${opts.url}: no connection after ${opts.timeoutMs} ms`);
      });
  });
}

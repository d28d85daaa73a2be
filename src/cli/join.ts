/**
 * `phx-channels join <url> <topic>`: a terminal (or a script) inside a channel. Prints every
 * message on the topic, sends each stdin line `event {json}` as a push and prints its reply,
 * and rides out reconnects; exits non-zero when the first connect or the join is refused.
 * @module
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { CliUsageError, EXIT, parsePairs, parsePositiveInt, parsePushLine, parseSocketUrl } from "./args";
import { Printer, type Sink } from "./output";
import { openSession, type SessionOptions } from "./session";

export const JOIN_HELP = `Usage: phx-channels join <url> <topic> [options]

Joins <topic> on the socket at <url> (e.g. ws://127.0.0.1:4000/socket) and prints every
message the server sends on it. Each line read from stdin is pushed as \`event {json}\`
(the payload defaults to {}), and its reply is printed. When stdin ends, the command waits
for the outstanding replies (an event the server never answers waits for --timeout), then
leaves and exits. Lost connections are retried and the topic rejoined by themselves.

Options:
  --param k=v        connect param, repeatable (sent in the socket URL)
  --join-param k=v   join payload entry, repeatable
  --token T          auth token, sent in the WebSocket sub-protocol (LongPoll: a header)
  --longpoll         use the LongPoll transport instead of WebSocket
  --json             print one JSON object per line: {"type": "joined"|"message"|"reply"|"state"|"error", ...}
  --listen           ignore stdin and run until interrupted (Ctrl-C)
  --timeout MS       join and push timeout (default 10000)
  --verbose          log the client's internals to stderr
  -h, --help         show this help

The command also ends (exit 0) when the server closes the channel.

Exit codes: 0 done, 1 a stdin line could not be sent, 2 bad arguments,
3 could not connect, 4 join refused or timed out.

Example:
  echo 'echo {"hello": "world"}' | phx-channels join ws://127.0.0.1:4000/socket room:lobby`;

/** Options shared by `join` and `push`. */
export const SESSION_ARG_OPTIONS = {
  param: { type: "string", multiple: true },
  "join-param": { type: "string", multiple: true },
  token: { type: "string" },
  longpoll: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  timeout: { type: "string" },
  verbose: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Reads the options both commands share from parsed values. */
export function sessionOptions(
  url: string,
  topic: string,
  values: { param?: string[]; "join-param"?: string[]; token?: string; longpoll?: boolean; timeout?: string; verbose?: boolean },
): SessionOptions {
  if (topic.trim() === "") throw new CliUsageError("the topic must not be empty");
  return {
    url: parseSocketUrl(url),
    topic,
    params: parsePairs(values.param, "--param"),
    joinParams: parsePairs(values["join-param"], "--join-param"),
    ...(values.token === undefined ? {} : { token: values.token }),
    longpoll: values.longpoll === true,
    timeoutMs: parsePositiveInt(values.timeout, "--timeout", 10000),
    verbose: values.verbose === true,
  };
}

/** Runs `join`; resolves with the exit code. */
export async function runJoin(argv: string[], sink: Sink, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...SESSION_ARG_OPTIONS, listen: { type: "boolean", default: false } },
  });
  if (values.help) {
    sink.out(JOIN_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 2) throw new CliUsageError(`join expects <url> <topic>, got ${positionals.length} argument(s)`);
  const opts = sessionOptions(positionals[0] as string, positionals[1] as string, values);
  const printer = new Printer(values.json === true, sink);

  const session = await openSession(opts, printer, {
    message: (msg) => printer.message(msg),
    joined: (response, rejoin) => printer.joined(opts.topic, response, rejoin),
  });

  return new Promise<number>((resolve) => {
    let pending = 0;
    let inputDone = false;
    let badLines = 0;
    let finished = false;
    const lines = values.listen ? null : createInterface({ input: stdin, crlfDelay: Infinity });
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      lines?.close();
      void session.close().then(() => resolve(code));
    };
    const maybeFinish = (): void => {
      if (inputDone && pending === 0) finish(badLines > 0 ? EXIT.failed : EXIT.ok);
    };
    const interrupt = (): void => finish(EXIT.ok);
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    // The server ended the channel (a `stop`, or a newer join of the same topic elsewhere on
    // this connection): the client does not rejoin a closed channel, so there is nothing left to do.
    session.channel.onClose(() => {
      if (finished) return;
      printer.note(`phx-channels: the server closed ${opts.topic}`);
      finish(EXIT.ok);
    });

    let lineNo = 0;
    lines?.on("line", (line) => {
      lineNo += 1;
      let parsed;
      try {
        parsed = parsePushLine(line, lineNo);
      } catch (err) {
        badLines += 1;
        printer.warn(err instanceof Error ? err.message : String(err));
        return;
      }
      if (!parsed) return;
      const { event, payload } = parsed;
      pending += 1;
      const settle = (status: string, response: unknown): void => {
        printer.reply(event, status, response);
        pending -= 1;
        maybeFinish();
      };
      try {
        session.channel
          .push(event, payload, opts.timeoutMs)
          .receive("ok", (response: unknown) => settle("ok", response))
          .receive("error", (response: unknown) => settle("error", response))
          .receive("timeout", () => settle("timeout", null))
          .receive("dropped", (response: unknown) => settle("dropped", response));
      } catch (err) {
        badLines += 1;
        pending -= 1;
        printer.warn(`line ${lineNo}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    lines?.on("close", () => {
      inputDone = true;
      maybeFinish();
    });
  });
}

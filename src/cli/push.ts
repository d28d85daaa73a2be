/**
 * `phx-channels push <url> <topic> <event> [json]`: one push for shell scripts. Joins, pushes,
 * prints the reply's response on stdout and exits 0 on "ok", 1 on "error" or no reply.
 * @module
 */
import { parseArgs } from "node:util";
import { CliUsageError, EXIT, parsePayload } from "./args";
import { SESSION_ARG_OPTIONS, sessionOptions } from "./join";
import { Printer, toPrintable, type Sink } from "./output";
import { openSession } from "./session";

export const PUSH_HELP = `Usage: phx-channels push <url> <topic> <event> [json] [options]

Joins <topic> on the socket at <url>, pushes <event> with the JSON payload (default {}),
prints the reply's response as JSON on stdout, then leaves and exits.

Options:
  --param k=v        connect param, repeatable (sent in the socket URL)
  --join-param k=v   join payload entry, repeatable
  --token T          auth token, sent in the WebSocket sub-protocol (LongPoll: a header)
  --longpoll         use the LongPoll transport instead of WebSocket
  --json             print {"type": "reply", "event", "status", "response"} instead of the bare response
  --no-reply         the event is not answered (e.g. "broadcast"): exit once the server has it
  --timeout MS       join and reply timeout (default 10000)
  --verbose          log the client's internals to stderr
  -h, --help         show this help

Exit codes: 0 reply ok, 1 reply error or no reply in time, 2 bad arguments,
3 could not connect, 4 join refused or timed out.

Example:
  phx-channels push ws://127.0.0.1:4000/socket room:lobby echo '{"n": 1}'`;

/** Runs `push`; resolves with the exit code. */
export async function runPush(argv: string[], sink: Sink): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...SESSION_ARG_OPTIONS, "no-reply": { type: "boolean", default: false } },
  });
  if (values.help) {
    sink.out(PUSH_HELP);
    return EXIT.ok;
  }
  if (positionals.length < 3 || positionals.length > 4) {
    throw new CliUsageError(`push expects <url> <topic> <event> [json], got ${positionals.length} argument(s)`);
  }
  const [url, topic, event, json] = positionals as [string, string, string, string | undefined];
  if (event.trim() === "") throw new CliUsageError("the event must not be empty");
  const payload = parsePayload(json, "the json argument");
  const opts = sessionOptions(url, topic, values);
  const printer = new Printer(values.json === true, sink);

  const session = await openSession(opts, printer);
  const outcome = await new Promise<{ status: string; response: unknown }>((resolve) => {
    const push = session.channel.push(event, payload, opts.timeoutMs);
    if (values["no-reply"]) {
      // The server handles a connection's messages in order, so once a heartbeat sent after
      // the push is answered, the push has been handled too.
      const fallback = setTimeout(() => resolve({ status: "sent", response: null }), opts.timeoutMs);
      const acked = session.socket.ping(() => {
        clearTimeout(fallback);
        resolve({ status: "sent", response: null });
      });
      if (acked === false) {
        clearTimeout(fallback);
        resolve({ status: "timeout", response: null });
      }
      return;
    }
    push
      .receive("ok", (response: unknown) => resolve({ status: "ok", response }))
      .receive("error", (response: unknown) => resolve({ status: "error", response }))
      .receive("timeout", () => resolve({ status: "timeout", response: null }))
      .receive("dropped", (response: unknown) => resolve({ status: "dropped", response }));
  });
  await session.close();

  if (values.json) printer.reply(event, outcome.status, outcome.response);
  else if (outcome.status === "ok" || outcome.status === "error") sink.out(JSON.stringify(toPrintable(outcome.response ?? null)));
  if (outcome.status === "ok" || outcome.status === "sent") return EXIT.ok;
  if (outcome.status === "error") printer.note(`phx-channels: ${topic} answered ${event} with status "error"`);
  else if (outcome.status === "timeout") printer.note(`phx-channels: no reply to ${event} within ${opts.timeoutMs} ms (use --no-reply for events that answer nothing)`);
  else printer.note(`phx-channels: the push of ${event} was dropped by the client`);
  return EXIT.failed;
}

/**
 * The `phx-channels` command's dispatcher (Node only): `serve` runs the reference server's example app with
 * the demo, `join` and `push` talk to any Phoenix Channels server from a terminal or a script.
 * Arguments are parsed with Node's own `util.parseArgs`: no CLI framework to install.
 * @module
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { CliUsageError, EXIT } from "./args";
import { runJoin } from "./join";
import { describeError, processSink, type Sink } from "./output";
import { runPush } from "./push";
import { packageRoot, runServe } from "./serve";
import { CliFailure } from "./session";

export const MAIN_HELP = `Usage: phx-channels <command> [options]

Commands:
  serve                                 run the reference server's example app and the demo
  join <url> <topic>                    join a topic: print its messages, push stdin lines
  push <url> <topic> <event> [json]     push one event and print the reply

Run \`phx-channels <command> --help\` for the options of each command,
\`phx-channels --version\` for the version.

Examples:
  phx-channels serve --port 4000
  phx-channels join ws://127.0.0.1:4000/socket room:lobby --json
  phx-channels push ws://127.0.0.1:4000/socket room:lobby echo '{"hello": "world"}'`;

/** The version in the package's package.json ("unknown" if it cannot be read). */
function packageVersion(): string {
  const root = packageRoot();
  if (!root) return "unknown";
  try {
    const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version?: unknown };
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Runs the command line `argv` (without `node` and the script) and resolves with the exit
 * code; never throws, so every failure gets a message and a deliberate code.
 * @example
 * ```ts
 * const code = await main(["push", "ws://127.0.0.1:4000/socket", "room:lobby", "echo", "{}"]);
 * ```
 */
export async function main(argv: string[], sink: Sink = processSink): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve":
        return await runServe(rest, sink);
      case "join":
        return await runJoin(rest, sink);
      case "push":
        return await runPush(rest, sink);
      case "--version":
      case "-v":
        sink.out(packageVersion());
        return EXIT.ok;
      case undefined:
      case "help":
      case "-h":
      case "--help":
        if (command === undefined) {
          sink.err(MAIN_HELP);
          return EXIT.usage;
        }
        sink.out(MAIN_HELP);
        return EXIT.ok;
      default:
        throw new CliUsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof CliFailure) {
      sink.err(`phx-channels: ${err.message}`);
      return err.exitCode;
    }
    // util.parseArgs reports unknown or malformed options with a TypeError carrying this code.
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof CliUsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
      const where = command && ["serve", "join", "push"].includes(command) ? ` ${command}` : "";
      sink.err(`phx-channels: ${describeError(err)}\nRun \`phx-channels${where} --help\` for usage.`);
      return EXIT.usage;
    }
    sink.err(`phx-channels: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.failed;
  }
}

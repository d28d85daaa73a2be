#!/usr/bin/env node
/**
 * Entry point of the `phx-channels` bin: runs {@link main} on the process's arguments and exits
 * with its code. Kept apart from `main.ts` so importing the dispatcher never starts a command.
 * @module
 */
import { EXIT } from "./args";
import { main } from "./main";

/** Sets the exit code, and exits once stdout and stderr have been flushed (open handles must not keep us alive). */
function exitWith(code: number): void {
  process.exitCode = code;
  let waiting = 2;
  const done = (): void => {
    waiting -= 1;
    if (waiting === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

main(process.argv.slice(2)).then(exitWith, (err: unknown) => {
  process.stderr.write(`phx-channels: ${String(err)}\n`);
  exitWith(EXIT.failed);
});

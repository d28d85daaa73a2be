/**
 * The README's Node quickstart runs as written against the reference server (the one `npm start`
 * serves), as a user would run it: a fresh Node process importing "phx-channels" by name from
 * the built package. Only the port changes (the server listens on an ephemeral port).
 * The README's TypeScript examples are type-checked by scripts/check-consumer.mjs.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = promisify(execFile);

interface RunningServer {
  port: number;
  close(): Promise<void>;
}

let server: RunningServer;
let work: string;

beforeAll(async () => {
  const { serve } = (await import(pathToFileURL(join(root, "dist", "server.mjs")).href)) as {
    serve(options: { port: number; host?: string }): Promise<RunningServer>;
  };
  server = await serve({ port: 0, host: "127.0.0.1" });
  // A project directory whose node_modules/phx-channels is this package, as after `npm install`.
  work = mkdtempSync(join(tmpdir(), "phx-channels-readme-"));
  mkdirSync(join(work, "node_modules"));
  symlinkSync(root, join(work, "node_modules", "phx-channels"), "dir");
});

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function readmeBlock(name: string): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const match = new RegExp(`<!-- run: ${name} -->\\s*\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no <!-- run: ${name} --> block`);
  return match[1]!;
}

it("the Node quickstart joins room:lobby, prints the echo reply and exits by itself", async () => {
  const code = readmeBlock("readme-node-quickstart.mjs");
  expect(code).toContain("ws://127.0.0.1:4000/socket");
  const file = join(work, "quickstart.mjs");
  writeFileSync(file, code.replaceAll("127.0.0.1:4000", `127.0.0.1:${server.port}`));
  const { stdout } = await run(process.execPath, [file], { cwd: work, timeout: 15_000 });
  expect(stdout).toContain("{ from: 'node' }");
});

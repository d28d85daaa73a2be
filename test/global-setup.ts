/**
 * Vitest global setup: makes sure `dist/` holds bundles built from the current `src/`, so that
 * `npm install && npm test` works on a fresh clone and the dist smoke / e2e tests never run
 * against stale code.
 *
 * Only the JavaScript is rebuilt (`PHX_BUILD=js`): the tests load bundles, not declarations, and
 * the declaration builds are most of the build time. A build failure does not abort the run (the
 * other suites still tell you something); it is handed to the tests through `inject("distBuildError")`
 * and the dist smoke test fails with it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Why the pre-test build failed, or null when `dist/` is fresh. */
    distBuildError: string | null;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The bundles the tests load; the build is skipped only when all exist and are newer than every input. */
export const DIST_OUTPUTS = [
  "index.mjs",
  "index.cjs",
  "node.mjs",
  "node.cjs",
  "phx-channels.min.js",
  "server.mjs",
  "cli.mjs",
].map((file) => join(root, "dist", file));

const BUILD_INPUTS = ["rollup.config.mjs", "package.json"].map((file) => join(root, file));
const LOCK_DIR = join(root, "node_modules", ".cache", "phx-channels-build.lock");
const LOCK_WAIT_MS = 120_000;

function newestMtime(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted source file bumps its directory
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function distIsFresh(): boolean {
  let oldestOutput = Infinity;
  for (const file of DIST_OUTPUTS) {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return false;
    oldestOutput = Math.min(oldestOutput, stat.mtimeMs);
  }
  const newestInput = Math.max(newestMtime(join(root, "src")), ...BUILD_INPUTS.map(newestMtime));
  return newestInput <= oldestOutput;
}

/**
 * Several vitest runs may start at once (watch mode, parallel CI jobs); a directory is an atomic
 * lock, so only one of them builds and the others wait for it and re-check.
 */
async function withBuildLock<T>(fn: () => T): Promise<T> {
  mkdirSync(dirname(LOCK_DIR), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock older than the wait limit was left by a killed run.
      const age = Date.now() - (statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (Date.now() > deadline || age > LOCK_WAIT_MS) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function build(): string | null {
  const rollupBin = join(root, "node_modules", "rollup", "dist", "bin", "rollup");
  const started = Date.now();
  const result = spawnSync(process.execPath, [rollupBin, "-c", "--silent"], {
    cwd: root,
    env: { ...process.env, PHX_BUILD: "js" },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status === 0) {
    console.log(`[global-setup] built dist/ (JavaScript only) in ${Date.now() - started} ms`);
    return null;
  }
  const output = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim() || String(result.error ?? "no output");
  return `rollup build failed (exit ${result.status ?? result.signal}):\n${output}`;
}

export default async function setup(project: TestProject): Promise<void> {
  let error: string | null = null;
  if (!existsSync(join(root, "dist")) || !distIsFresh()) {
    error = await withBuildLock(() => (distIsFresh() ? null : build()));
    if (error) console.warn(`[global-setup] ${error}\n[global-setup] tests that load dist/ will fail.`);
  }
  project.provide("distBuildError", error);
}

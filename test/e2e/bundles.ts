/**
 * Which client bundles the browser tests load. The real `dist/` (what `npm run build` makes and
 * what users get) is used when it is complete and newer than every source file; otherwise the
 * same three entry points are bundled from `src/` with esbuild into a private directory, so the
 * tests never run against a stale or missing build and never write into `dist/` while another
 * process might be building it.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DEMO_DIR = path.join(ROOT, "demo");
const DIST = path.join(ROOT, "dist");
const NEEDED = ["phx-channels.min.js", "index.mjs", "node.mjs"] as const;

export interface Bundles {
  /** Directory served at /dist/. */
  distDir: string;
  /** The Node entry the bot imports. */
  nodeEntry: string;
  /** "dist" or "esbuild", for the test log. */
  source: string;
  /** Removes what this run built (nothing for the real dist). */
  cleanup(): void;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function distIsFresh(): boolean {
  if (!NEEDED.every((f) => existsSync(path.join(DIST, f)))) return false;
  const built = Math.min(...NEEDED.map((f) => statSync(path.join(DIST, f)).mtimeMs));
  return built >= newestMtime(path.join(ROOT, "src"));
}

/** Returns fresh bundles, building them with esbuild when `dist/` is missing or stale. */
export async function prepareBundles(): Promise<Bundles> {
  // PHX_E2E_BUNDLES=dist|esbuild forces one source (e.g. to check the fallback itself).
  const forced = process.env.PHX_E2E_BUNDLES;
  if (forced === "dist" || (forced !== "esbuild" && distIsFresh())) {
    return { distDir: DIST, nodeEntry: path.join(DIST, "node.mjs"), source: "dist", cleanup: () => {} };
  }
  // Inside node_modules so the Node bundle's external imports (ws) resolve from the repo.
  const out = path.join(ROOT, "node_modules", ".cache", "phx-channels-e2e", `${process.pid}-${Date.now()}`);
  mkdirSync(out, { recursive: true });
  const common = { bundle: true, sourcemap: true, logLevel: "silent", target: "es2020" } as const;
  await Promise.all([
    build({
      ...common,
      entryPoints: [path.join(ROOT, "src/index.ts")],
      outfile: path.join(out, "phx-channels.min.js"),
      format: "iife",
      globalName: "PhxChannels",
      platform: "browser",
      minify: true,
    }),
    build({
      ...common,
      entryPoints: [path.join(ROOT, "src/index.ts")],
      outfile: path.join(out, "index.mjs"),
      format: "esm",
      platform: "browser",
    }),
    build({
      ...common,
      entryPoints: [path.join(ROOT, "src/node.ts")],
      outfile: path.join(out, "node.mjs"),
      format: "esm",
      platform: "node",
      packages: "external",
    }),
  ]);
  return {
    distDir: out,
    nodeEntry: path.join(out, "node.mjs"),
    source: "esbuild",
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}

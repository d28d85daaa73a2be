// Bundles our TypeScript entries into .bench/ with esbuild so the benchmark runs without a
// build step. Each entry is optional: a missing or broken entry is reported, never fatal,
// and the rows that need it print "n/a (not built)".
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { OUT_DIR, ROOT } from "./lib.mjs";

const EXTERNAL = ["ws", "isomorphic-ws"];

const ENTRIES = {
  client: "src/node.ts",
  server: "src/server/index.ts",
  serializer: "src/serializer.ts",
};

export async function buildAll() {
  const esbuild = await import("esbuild");
  mkdirSync(OUT_DIR, { recursive: true });
  const built = {};
  const notes = [];
  // BENCH_SKIP=client,server pretends those entries are missing (to check the "not built" rows).
  const skip = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const src = path.join(ROOT, entry);
    // A stale bundle from an earlier run must never stand in for an entry that no longer builds.
    rmSync(path.join(OUT_DIR, `${name}.mjs`), { force: true });
    if (!existsSync(src) || skip.has(name)) {
      built[name] = null;
      notes.push(`${entry}: not present`);
      continue;
    }
    const outfile = path.join(OUT_DIR, `${name}.mjs`);
    try {
      await esbuild.build({
        entryPoints: [src],
        outfile,
        bundle: true,
        format: "esm",
        platform: "node",
        target: "node18",
        external: EXTERNAL,
        logLevel: "silent",
        sourcemap: false,
      });
      built[name] = outfile;
    } catch (err) {
      built[name] = null;
      const first = err?.errors?.[0];
      notes.push(`${entry}: build failed (${first ? `${first.text} at ${first.location?.file}:${first.location?.line}` : String(err).split("\n")[0]})`);
    }
  }
  return { built, notes };
}

/**
 * min+gzip size of our IIFE: `dist/phx-channels.min.js` when the release build exists, else
 * `src/index.ts` bundled and minified by esbuild as an IIFE (global PhxChannels). gzip -9, the
 * setting that reproduces the 8,531 bytes quoted for phoenix.min.js.
 */
export async function bundleSizes() {
  const gz = (buf) => gzipSync(buf, { level: 9 }).length;
  const phoenixMin = readFileSync(path.join(ROOT, "node_modules/phoenix/priv/static/phoenix.min.js"));
  const result = { phoenix: { min: phoenixMin.length, gzip: gz(phoenixMin) }, ours: null, oursSource: null, note: null };
  const skip = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));
  if (skip.has("bundle")) {
    result.note = "skipped (BENCH_SKIP)";
    return result;
  }
  const dist = path.join(ROOT, "dist/phx-channels.min.js");
  if (existsSync(dist)) {
    const buf = readFileSync(dist);
    result.ours = { min: buf.length, gzip: gz(buf) };
    result.oursSource = "dist/phx-channels.min.js";
    return result;
  }
  const src = path.join(ROOT, "src/index.ts");
  if (!existsSync(src)) {
    result.note = "src/index.ts not present";
    return result;
  }
  try {
    const esbuild = await import("esbuild");
    const out = await esbuild.build({
      entryPoints: [src],
      bundle: true,
      format: "iife",
      globalName: "PhxChannels",
      platform: "browser",
      target: "es2018",
      minify: true,
      write: false,
      logLevel: "silent",
    });
    const buf = Buffer.from(out.outputFiles[0].contents);
    result.ours = { min: buf.length, gzip: gz(buf) };
    result.oursSource = "src/index.ts via esbuild (IIFE, minified)";
  } catch (err) {
    result.note = `src/index.ts build failed: ${String(err?.errors?.[0]?.text ?? err).split("\n")[0]}`;
  }
  return result;
}

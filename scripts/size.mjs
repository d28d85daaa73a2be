#!/usr/bin/env node
// Size budgets, minified and gzipped (level 9). Two figures per artifact:
// - the goal: phoenix.js's own build of the same thing, measured from node_modules/phoenix in the
//   same run. It is printed as met or MISSED; today it is missed (see the README's "Bundle size").
// - the ceiling: scripts/size-ceilings.json, today's size plus a small margin. This is the gate:
//   it keeps the bundle from growing while the goal is still out of reach.
//
//   node scripts/size.mjs [--record <file>]
//
// --record appends one "<gate name>\t<pass|fail>" line per ceiling (read by scripts/totals.mjs).
// Exit code 1 when a ceiling is exceeded.
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import nodeResolve from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";
import { rollup } from "rollup";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { record: { type: "string" } } });

const ours = {
  esm: join(root, "dist/index.mjs"),
  iife: join(root, "dist/phx-channels.min.js"),
};
const phoenixDir = join(root, "node_modules/phoenix/priv/static");
const theirs = {
  esm: join(phoenixDir, "phoenix.mjs"),
  iife: join(phoenixDir, "phoenix.min.js"),
};

for (const file of [...Object.values(ours), ...Object.values(theirs)]) {
  if (!existsSync(file)) {
    console.error(`size: missing ${file} (run \`npm run build\` / \`npm ci\` first)`);
    process.exit(1);
  }
}

const gz = (code) => gzipSync(Buffer.from(code), { level: 9 }).length;

/**
 * What an app bundler would ship for `entrySource`: dependencies bundled, tree-shaken, minified.
 * Both packages go through the same pipeline so the comparison is like for like.
 */
async function bundledSize(entrySource) {
  const entryId = "\0size-entry";
  const bundle = await rollup({
    input: entryId,
    plugins: [
      { name: "size-entry", resolveId: (id) => (id === entryId ? id : null), load: (id) => (id === entryId ? entrySource : null) },
      nodeResolve({ browser: true }),
    ],
    onwarn(warning, warn) {
      if (warning.code !== "EMPTY_BUNDLE") warn(warning);
    },
  });
  const { output } = await bundle.generate({
    format: "es",
    plugins: [terser({ ecma: 2020, compress: { passes: 2 }, format: { comments: false } })],
  });
  await bundle.close();
  return gz(output[0].code);
}

const spec = (file) => JSON.stringify(file);
const ceilings = JSON.parse(readFileSync(join(root, "scripts/size-ceilings.json"), "utf8"));
const rows = [
  {
    key: "esm",
    gate: "size: ESM entry (all exports, min+gz)",
    ours: await bundledSize(`export * from ${spec(ours.esm)};`),
    budget: await bundledSize(`export * from ${spec(theirs.esm)};`),
    against: "phoenix.mjs, same pipeline",
  },
  {
    key: "socketOnly",
    gate: "size: Socket-only import (tree-shaken, min+gz)",
    ours: await bundledSize(`export { Socket } from ${spec(ours.esm)};`),
    budget: await bundledSize(`export { Socket } from ${spec(theirs.esm)};`),
    against: "Socket from phoenix.mjs, same pipeline",
  },
  {
    key: "iife",
    gate: "size: IIFE dist/phx-channels.min.js (gz)",
    ours: gz(readFileSync(ours.iife)),
    budget: gz(readFileSync(theirs.iife)),
    against: "phoenix.min.js as published",
  },
];

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
console.log(
  `${pad("artifact", 48)} ${lpad("bytes", 7)} ${lpad("ceiling", 7)}  gate    ${lpad("goal", 7)}  goal (phoenix.js)`,
);
let failed = 0;
let goalsMissed = 0;
for (const row of rows) {
  const ceiling = ceilings[row.key];
  const ok = typeof ceiling === "number" && row.ours <= ceiling;
  const goalMet = row.ours <= row.budget;
  if (!ok) failed++;
  if (!goalMet) goalsMissed++;
  const ratio = (row.ours / row.budget).toFixed(2);
  console.log(
    `${pad(row.gate, 48)} ${lpad(row.ours, 7)} ${lpad(ceiling ?? "-", 7)}  ${pad(ok ? "ok" : "OVER", 6)}  ${lpad(row.budget, 7)}  ${goalMet ? "met" : `MISSED (${ratio}x)`}, ${row.against}`,
  );
  if (values.record) appendFileSync(values.record, `${row.gate}\t${ok ? "pass" : "fail"}\n`);
}
if (failed > 0 || goalsMissed > 0) {
  // Where the bytes are, to direct the work: the IIFE's minified bytes by source file.
  console.log("");
  execFileSync(process.execPath, [join(root, "scripts/size-attribution.mjs"), ours.iife], { stdio: "inherit" });
}
if (goalsMissed > 0) console.log(`\nsize: ${goalsMissed} phoenix.js goal(s) not yet met`);
if (failed > 0) {
  console.log(`size: ${failed} ceiling(s) exceeded (scripts/size-ceilings.json)`);
  process.exit(1);
}

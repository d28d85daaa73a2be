#!/usr/bin/env node
// Type-checks the tiny consumer project in test/consumer/ against the packed tarball — exactly
// the files npm would publish — under moduleResolution node16 (Node app, ESM + CommonJS files)
// and bundler (front-end app), plus code written for phoenix.js with @types/phoenix (compiled
// against both, so it stays genuine phoenix.js-era code) and a LiveView app. The README's TypeScript examples are checked the same way: a
// fenced block preceded by `<!-- consumer: <file> <node16|bundler> -->` is written to <file> and
// added to that project, so the documented code cannot drift from the published types. Works offline: the tarball is unpacked into a temporary
// node_modules, and its dependencies (plus @types) are linked from this repo's node_modules.
//
//   node scripts/check-consumer.mjs [--tarball <file.tgz>] [--record <gates.tsv>]
//
// Without --tarball it runs `npm pack` itself. Exit code 1 when a check fails.
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { tarball: { type: "string" }, record: { type: "string" } } });

const work = mkdtempSync(join(tmpdir(), "phx-channels-consumer-"));
let failed = 0;
try {
  let tarball = values.tarball && resolve(values.tarball);
  if (!tarball) {
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" });
    tarball = join(work, JSON.parse(out)[0].filename);
  }

  const project = join(work, "consumer");
  cpSync(join(root, "test", "consumer"), project, { recursive: true });
  for (const { file, config, code } of readmeExamples()) {
    writeFileSync(join(project, file), code);
    const tsconfigPath = join(project, `tsconfig.${config}.json`);
    const tsconfig = JSON.parse(readFileSync(tsconfigPath, "utf8"));
    tsconfig.files.push(file);
    writeFileSync(tsconfigPath, JSON.stringify(tsconfig, null, 2));
  }
  const pkgDir = join(project, "node_modules", "phx-channels");
  mkdirSync(pkgDir, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"]);
  // What `npm install` would add beside the package: its dependencies, the @types a TypeScript
  // user has (@types/node, @types/ws; @types/phoenix for code written for phoenix.js), vitest for
  // the README's test, and phoenix_live_view (whose types take phoenix.js's Socket class).
  for (const dep of ["isomorphic-ws", "ws", "@types", "vitest", "phoenix_live_view"]) {
    symlinkSync(join(root, "node_modules", dep), join(project, "node_modules", dep), "dir");
  }

  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const checks = {
    "tsconfig.node16.json": "consumer types: node16 resolution vs packed tarball",
    "tsconfig.bundler.json": "consumer types: bundler resolution vs packed tarball",
    "tsconfig.phoenix-reference.json": "consumer types: the phoenix.js-era app compiles against @types/phoenix",
    "tsconfig.phoenix-types.json": "consumer types: the phoenix.js-era app and LiveView compile against the packed tarball",
  };
  for (const [config, name] of Object.entries(checks)) {
    const result = spawnSync(process.execPath, [tsc, "-p", config, "--pretty", "false"], { cwd: project, encoding: "utf8" });
    const ok = result.status === 0;
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${name}`);
    if (!ok) process.stdout.write(`${result.stdout}${result.stderr}`.replace(/^/gm, "     "));
    if (values.record) appendFileSync(values.record, `${name}\t${ok ? "pass" : "fail"}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed > 0 ? 1 : 0);

function readmeExamples() {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const marker = /<!-- consumer: (\S+) (node16|bundler) -->\s*\n```[a-z]*\n([\s\S]*?)\n```/g;
  const examples = [...readme.matchAll(marker)].map(([, file, config, code]) => ({ file, config, code: `${code}\n` }));
  if (examples.length === 0) throw new Error("no `<!-- consumer: ... -->` examples found in README.md");
  return examples;
}

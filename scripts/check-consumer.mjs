#!/usr/bin/env node
// Type-checks the tiny consumer project in test/consumer/ against the packed tarball — exactly
// the files npm would publish — under moduleResolution node16 (Node app, ESM + CommonJS files)
// and bundler (front-end app). The README's TypeScript examples are checked the same way: a
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
  // user of the server/Node entry has (@types/node, @types/ws), and vitest for the README's test.
  for (const dep of ["isomorphic-ws", "ws", "@types", "vitest"]) {
    symlinkSync(join(root, "node_modules", dep), join(project, "node_modules", dep), "dir");
  }

  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  for (const config of ["tsconfig.node16.json", "tsconfig.bundler.json"]) {
    const name = `consumer types: ${config.replace(/^tsconfig\.|\.json$/g, "")} resolution vs packed tarball`;
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

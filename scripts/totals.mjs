#!/usr/bin/env node
// Prints the run's totals ALONE on the last line as `N passed, M failed`, where
//   N = passed tests + passed gate checks,  M = failed tests + failed gate checks.
// Tests come from vitest's JSON report; gates from a file of "<name>\t<pass|fail>" lines written
// by .ci/run. A test file that crashed before reporting any test counts as one failure, and so
// does a vitest exit code that signals failure without a failed test (unhandled errors).
//
//   node scripts/totals.mjs --vitest <report.json> --gates <gates.tsv> [--vitest-exit <code>]
//
// Exits 1 when M > 0.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { vitest: { type: "string" }, gates: { type: "string" }, "vitest-exit": { type: "string" } },
});

let passed = 0;
let failed = 0;
const problems = [];

if (values.gates && existsSync(values.gates)) {
  for (const line of readFileSync(values.gates, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const [name, result] = line.split("\t");
    if (result === "pass") passed++;
    else {
      failed++;
      problems.push(`gate failed: ${name}`);
    }
  }
}

let testsFailed = 0;
if (values.vitest && existsSync(values.vitest)) {
  const report = JSON.parse(readFileSync(values.vitest, "utf8"));
  passed += report.numPassedTests ?? 0;
  testsFailed += report.numFailedTests ?? 0;
  for (const file of report.testResults ?? []) {
    if (file.status === "failed" && (file.assertionResults ?? []).length === 0) {
      testsFailed++;
      problems.push(`test file failed to run: ${file.name}: ${String(file.message ?? "").split("\n")[0]}`);
    }
  }
} else if (values.vitest) {
  testsFailed++;
  problems.push(`no vitest report at ${values.vitest}`);
}
const vitestExit = Number(values["vitest-exit"] ?? 0);
if (vitestExit !== 0 && testsFailed === 0) {
  testsFailed++;
  problems.push(`vitest exited ${vitestExit} without a failed test (unhandled error or threshold)`);
}
failed += testsFailed;

for (const problem of problems) console.log(problem);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

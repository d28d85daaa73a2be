// Shared helpers for `npm run bench`: child processes, statistics and table printing.
// Everything here is plain Node ESM so the runner needs no build step of its own.
import { fork } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, "../..");
export const OUT_DIR = path.join(ROOT, ".bench");
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5) || 5);

export function median(values) {
  const xs = values.filter((v) => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

export const now = () => performance.now();

/**
 * Forks `script` with `args` and resolves with the first IPC message of type "result"
 * (or rejects on an "error" message, a crash, or after `timeoutMs`). The child is always
 * killed afterwards, so a stuck benchmark can never hang the run.
 */
let resultFileSeq = 0;
export function runChild(script, args = [], { timeoutMs = 120_000, execArgv = [], onMessage } = {}) {
  return new Promise((resolve, reject) => {
    const resultFile = path.join(OUT_DIR, `result-${process.pid}-${++resultFileSeq}.json`);
    rmSync(resultFile, { force: true });
    const child = fork(path.join(BENCH_DIR, script), args.map(String), {
      execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      cwd: ROOT,
      env: { ...process.env, BENCH_RESULT_FILE: resultFile },
    });
    let settled = false;
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      fn(value);
    };
    const timer = setTimeout(() => finish(reject, new Error(`${script} ${args.join(" ")} timed out after ${timeoutMs} ms`)), timeoutMs);
    child.on("message", (msg) => {
      if (msg && msg.type === "result") finish(resolve, msg.value);
      else if (msg && msg.type === "error") finish(reject, new Error(msg.message));
      else if (onMessage) onMessage(msg, child);
    });
    child.on("error", (err) => finish(reject, err));
    child.on("exit", (code, signal) => {
      // A round that stopped itself at its cap leaves its result in a file (see hardStop).
      if (existsSync(resultFile)) {
        try {
          const value = JSON.parse(readFileSync(resultFile, "utf8"));
          rmSync(resultFile, { force: true });
          return finish(resolve, value);
        } catch {}
      }
      finish(reject, new Error(`${script} exited (code ${code}, signal ${signal}) before reporting`));
    });
  });
}

/**
 * Forks a long-lived server child that sends `{type: "listening", port}` once bound.
 * Returns `{port, child, request(cmd), stop()}`; `request` sends an IPC command and waits for
 * the reply carrying the same `id`.
 */
export function startServerChild(script, args = [], { execArgv = [], timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(BENCH_DIR, script), args.map(String), {
      execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      cwd: ROOT,
    });
    let nextId = 1;
    const pending = new Map();
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not start listening within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", (msg) => {
      if (msg?.type === "listening") {
        clearTimeout(timer);
        resolve({ port: msg.port, child, request, stop });
      } else if (msg?.type === "error" && msg.id === undefined) {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(msg.message));
      } else if (msg?.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.type === "error") p.reject(new Error(msg.message));
        else p.resolve(msg.value);
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${script} exited (code ${code}, signal ${signal})`));
      }
      pending.clear();
      reject(new Error(`${script} exited (code ${code}, signal ${signal}) before listening`));
    });
    function request(cmd, reqTimeoutMs = 60_000) {
      return new Promise((res, rej) => {
        const id = nextId++;
        const t = setTimeout(() => {
          pending.delete(id);
          rej(new Error(`${script}: request ${cmd.cmd} timed out`));
        }, reqTimeoutMs);
        pending.set(id, { resolve: res, reject: rej, timer: t });
        child.send({ ...cmd, id });
      });
    }
    function stop() {
      return new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        const t = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => {
          clearTimeout(t);
          res();
        });
        child.send({ cmd: "exit" });
      });
    }
  });
}

/** Child side: report a result (or an error) to the parent and leave. */
export function report(value) {
  process.send({ type: "result", value }, () => process.exit(0));
}
/**
 * Child side: stop right now, from inside a callback, with `value` as the result. Used when a
 * round hits its time cap in the middle of a synchronous burst of messages that a timer could
 * not interrupt.
 */
export function hardStop(value) {
  writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(value));
  process.exit(0);
}
export function reportError(err) {
  const message = err && err.stack ? err.stack : String(err);
  process.send({ type: "error", message }, () => process.exit(1));
}

// ------------------------------------------------------------------ formatting

export function fmtNum(n, digits = 0) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "n/a";
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtRate(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "n/a";
  if (n >= 100) return `${fmtNum(n)}/s`;
  return `${fmtNum(n, 1)}/s`;
}

export function fmtRatio(r) {
  if (typeof r !== "number" || !Number.isFinite(r)) return "n/a";
  if (r >= 100) return `${fmtNum(r)}×`;
  if (r >= 10) return `${fmtNum(r, 1)}×`;
  if (r >= 0.1) return `${fmtNum(r, 2)}×`;
  if (r >= 0.01) return `${fmtNum(r, 3)}×`;
  return `${Number(r.toPrecision(2))}×`;
}

export function fmtBytes(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "n/a";
  if (n >= 10 * 1024 * 1024) return `${fmtNum(n / (1024 * 1024), 1)} MiB`;
  return `${fmtNum(n)} B`;
}

export function fmtMs(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "n/a";
  if (n < 1) return `${fmtNum(n * 1000, 0)} µs`;
  if (n < 100) return `${fmtNum(n, 2)} ms`;
  return `${fmtNum(n, 0)} ms`;
}

export function table(headers, rows) {
  const lines = [`| ${headers.join(" | ")} |`, `| ${headers.map(() => "---").join(" | ")} |`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

/** `verdict(value, goal)` → "PASS" | "MISS" | "n/a"; `goal` is {op: ">=" | "<=", value}. */
export function verdict(value, goal) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "n/a";
  return (goal.op === ">=" ? value >= goal.value : value <= goal.value) ? "PASS" : "MISS";
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

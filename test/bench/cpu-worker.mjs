// Serializer micro-benchmarks, all rounds in one process (no I/O, so nothing to tear down):
//   node cpu-worker.mjs <rounds> <impl>...      impl: floor | phoenix | ours
// The implementations are measured in turn inside every round, so a change in machine load hits
// them alike. Each (impl, workload) gets its own generated loop, so one implementation's call
// site feedback cannot slow another's.
// Reports {results: {impl: {binaryDecode: [ops/s per round], jsonEncode, jsonDecode}}, notBuilt: {impl: why}}.
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { OUT_DIR, now, report, reportError } from "./lib.mjs";

const [roundsArg, ...impls] = process.argv.slice(2);
const rounds = Number(roundsArg) || 5;

// A server push (binary kind 0) carrying 1 KiB: join_ref "12", topic "room:lobby", event "file_chunk".
function binaryPushFrame() {
  const enc = new TextEncoder();
  const [jr, topic, event] = ["12", "room:lobby", "file_chunk"].map((s) => enc.encode(s));
  const payload = new Uint8Array(1024).map((_, i) => i & 255);
  const out = new Uint8Array(4 + jr.length + topic.length + event.length + payload.length);
  out.set([0, jr.length, topic.length, event.length]);
  let o = 4;
  for (const part of [jr, topic, event, payload]) {
    out.set(part, o);
    o += part.length;
  }
  return out.buffer;
}

const MESSAGE = {
  join_ref: "3",
  ref: "17",
  topic: "room:lobby",
  event: "new_msg",
  payload: { body: "hello there, how is everyone doing today?", user: { id: 42, name: "alice" }, at: 1732200000000, tags: ["a", "b"] },
};
const TEXT = JSON.stringify([MESSAGE.join_ref, MESSAGE.ref, MESSAGE.topic, MESSAGE.event, MESSAGE.payload]);

/** The floor: what a hand-written client must do at least, and nothing more. */
const floor = {
  encode(msg, cb) {
    cb(JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload]));
  },
  decode(raw, cb) {
    if (typeof raw === "string") {
      const [join_ref, ref, topic, event, payload] = JSON.parse(raw);
      return cb({ join_ref, ref, topic, event, payload });
    }
    // Binary push: sizes, ASCII headers by hand, one copy of the payload so the message owns it.
    const bytes = new Uint8Array(raw);
    const a = bytes[1];
    const b = bytes[2];
    const c = bytes[3];
    let o = 4;
    const join_ref = String.fromCharCode.apply(null, bytes.subarray(o, (o += a)));
    const topic = String.fromCharCode.apply(null, bytes.subarray(o, (o += b)));
    const event = String.fromCharCode.apply(null, bytes.subarray(o, (o += c)));
    cb({ join_ref, ref: null, topic, event, payload: raw.slice(o) });
  },
};

async function serializerFor(which) {
  if (which === "floor") return floor;
  if (which === "phoenix") return (await import("phoenix")).Serializer;
  // Prefer the Serializer the client entry exports; fall back to the serializer module itself.
  for (const file of ["client.mjs", "serializer.mjs"]) {
    const full = path.join(OUT_DIR, file);
    if (!existsSync(full)) continue;
    try {
      const mod = await import(pathToFileURL(full).href);
      if (mod.Serializer && typeof mod.Serializer.decode === "function") return mod.Serializer;
    } catch {}
  }
  return null;
}

/** A fresh loop per (impl, workload): ops/s of `fn` over `iterations` calls. */
function makeMeasure() {
  // eslint-disable-next-line no-new-func
  return new Function("fn", "iterations", "now", "const t0 = now(); for (let i = 0; i < iterations; i++) fn(); return iterations / ((now() - t0) / 1000);");
}

try {
  const frame = binaryPushFrame();
  let sink = 0;
  const keep = (m) => {
    sink += m.event.length;
  };
  const keepText = (s) => {
    sink += s.length;
  };
  const plans = [];
  const notBuilt = {};
  const results = {};
  for (const impl of impls) {
    const ser = await serializerFor(impl);
    if (!ser) {
      notBuilt[impl] = "serializer not built";
      continue;
    }
    results[impl] = { binaryDecode: [], jsonEncode: [], jsonDecode: [] };
    const workloads = {
      binaryDecode: [() => ser.decode(frame, keep), 90_000],
      jsonEncode: [() => ser.encode(MESSAGE, keepText), 240_000],
      jsonDecode: [() => ser.decode(TEXT, keep), 240_000],
    };
    for (const [name, [fn, iterations]] of Object.entries(workloads)) {
      const measure = makeMeasure();
      measure(fn, iterations >> 2, now); // warm-up
      plans.push({ impl, name, fn, iterations, measure });
    }
  }
  // Workload by workload, the impls take turns in short slices (SLICES per round, impl order
  // rotated), so a change in machine load during a round lands on every impl alike; a full GC
  // before every slice keeps one slice's garbage (1 KiB payload copies) off the next one's clock.
  const gc = globalThis.gc ?? (() => {});
  const SLICES = 6;
  const names = ["binaryDecode", "jsonEncode", "jsonDecode"];
  const built = impls.filter((i) => results[i]);
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const spent = Object.fromEntries(built.map((i) => [i, { ops: 0, ms: 0 }]));
      for (let k = 0; k < SLICES; k++) {
        for (let j = 0; j < built.length; j++) {
          const impl = built[(j + k + r) % built.length];
          const p = plans.find((x) => x.impl === impl && x.name === name);
          const n = Math.ceil(p.iterations / SLICES);
          gc();
          const opsPerS = p.measure(p.fn, n, now);
          spent[impl].ops += n;
          spent[impl].ms += (n / opsPerS) * 1000;
        }
      }
      for (const impl of built) results[impl][name].push(spent[impl].ops / (spent[impl].ms / 1000));
    }
  }
  report({ results, notBuilt, sink });
} catch (err) {
  reportError(err);
}

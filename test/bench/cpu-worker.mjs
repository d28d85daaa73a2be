// Serializer micro-benchmarks, all rounds in one process (no I/O, so nothing to tear down):
//   node cpu-worker.mjs <impl> <rounds>      impl: floor | phoenix | ours
// Reports {binaryDecode: [ops/s per round], jsonEncode: [...], jsonDecode: [...]}.
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { OUT_DIR, now, report, reportError } from "./lib.mjs";

const [impl, roundsArg] = process.argv.slice(2);
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

/** ops/s of `fn` over `iterations` calls. */
function measure(fn, iterations) {
  const t0 = now();
  for (let i = 0; i < iterations; i++) fn();
  return iterations / ((now() - t0) / 1000);
}

try {
  const ser = await serializerFor(impl);
  if (!ser) {
    report({ notBuilt: "serializer not built" });
  } else {
    const frame = binaryPushFrame();
    let sink = 0;
    const keep = (m) => {
      sink += m.event.length;
    };
    const keepText = (s) => {
      sink += s.length;
    };
    const workloads = {
      binaryDecode: [() => ser.decode(frame, keep), 200_000],
      jsonEncode: [() => ser.encode(MESSAGE, keepText), 300_000],
      jsonDecode: [() => ser.decode(TEXT, keep), 300_000],
    };
    const out = {};
    for (const [name, [fn, iterations]] of Object.entries(workloads)) {
      measure(fn, iterations >> 2); // warm-up
      out[name] = [];
      for (let r = 0; r < rounds; r++) out[name].push(measure(fn, iterations));
    }
    out.sink = sink;
    report(out);
  }
} catch (err) {
  reportError(err);
}

// `npm run bench`: one command, one run. Bundles our TypeScript into .bench/ with esbuild, then
// measures four sections — client, server, LongPoll, Presence — printing a markdown table per
// section with the goals from the issues and PASS/MISS. Every figure is the median of ROUNDS
// rounds (default 5, env BENCH_ROUNDS) and sits beside a floor measured in the same run.
// Select sections with arguments: `node test/bench/run.mjs client presence`.
// Results are also written to .bench/results.json.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildAll, bundleSizes } from "./build.mjs";
import {
  OUT_DIR,
  ROUNDS,
  fmtBytes,
  fmtMs,
  fmtNum,
  fmtRate,
  fmtRatio,
  median,
  now,
  runChild,
  startServerChild,
  table,
  verdict,
} from "./lib.mjs";

const ALL_SECTIONS = ["client", "server", "longpoll", "presence"];
const requested = process.argv.slice(2).filter((a) => ALL_SECTIONS.includes(a));
const sections = requested.length ? requested : ALL_SECTIONS;
const NOT_BUILT = "n/a (not built)";
const results = { machine: machineInfo(), rounds: ROUNDS, sections: {} };

function machineInfo() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function log(line = "") {
  process.stdout.write(`${line}\n`);
}
function progress(text) {
  process.stderr.write(`  … ${text}\n`);
}

/**
 * Runs ROUNDS rounds of a client workload for every impl, interleaved (round 1 of each impl, then
 * round 2 of each, ...) so a change in machine load during the run hits every impl alike.
 * Returns {impl: {rounds: [...]} | {notBuilt} | {error, partial}}.
 */
async function interleavedRounds(impls, label, args, timeoutMs) {
  const res = Object.fromEntries(impls.map((i) => [i, { rounds: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const impl of impls) {
      if (!res[impl].rounds) continue;
      const t = now();
      try {
        const v = await runChild("client-worker.mjs", [impl, ...args(impl)], { execArgv: ["--expose-gc"], timeoutMs });
        progress(`client: ${label}, ${impl}, round ${r + 1}/${ROUNDS} took ${fmtMs(now() - t)}`);
        if (v?.notBuilt) res[impl] = { notBuilt: v.notBuilt };
        else res[impl].rounds.push(v);
      } catch (err) {
        res[impl] = { error: String(err.message).split("\n")[0], partial: res[impl].rounds };
      }
    }
  }
  return res;
}

function pick(res, key) {
  if (!res || !res.rounds) return NaN;
  return median(res.rounds.map((r) => r[key]));
}
/** Median over rounds of impl/floor, each round's pair measured back to back (robust to load drift). */
function pairedRatio(res, floorRes, key) {
  const a = res?.rounds;
  const b = floorRes?.rounds;
  if (!a || !b) return NaN;
  const n = Math.min(a.length, b.length);
  const ratios = [];
  for (let i = 0; i < n; i++) ratios.push(a[i][key] / b[i][key]);
  return median(ratios);
}
function anyCapped(res, key) {
  return Boolean(res?.rounds?.some((r) => r[key]));
}
function cell(res, value, fmt, cappedKey) {
  if (res?.notBuilt) return NOT_BUILT;
  if (res?.error) return `error: ${res.error.slice(0, 60)}`;
  const s = fmt(value);
  return cappedKey && anyCapped(res, cappedKey) ? `≥ ${s} (capped)` : s;
}

// ------------------------------------------------------------------ client section

async function clientSection() {
  log("\n## Client\n");
  log("Against a minimal `ws` server in its own process that answers at once. floor = raw `ws` + JSON + Map lookups.");
  const server = await startServerChild("echo-server.mjs");
  const impls = ["floor", "phoenix", "ours"];
  const r = { cpu: {} };
  try {
    // Caps (ms) bound every round. phoenix.js at 50,000 in flight runs for minutes (each reply scans
    // every pending push), so its 50,000 round is cut short on purpose and reported as a lower bound;
    // the others get room to finish even on a loaded machine.
    const cap = (impl, slow, fast) => (impl === "phoenix" ? slow : fast);
    r.pipe50k = await interleavedRounds(impls, "50,000 pipelined", (impl) => ["pipelined", server.port, 50_000, cap(impl, 6_000, 20_000)], 60_000);
    r.pipe5k = await interleavedRounds(impls, "5,000 pipelined", () => ["pipelined", server.port, 5_000, 20_000], 60_000);
    r.channels = await interleavedRounds(impls, "10,000 channels", () => ["channels", server.port, 10_000, 10_000, 30_000], 150_000);
  } finally {
    await server.stop();
  }
  progress("client: serializer");
  try {
    const v = await runChild("cpu-worker.mjs", [ROUNDS, ...impls], { execArgv: ["--expose-gc"], timeoutMs: 180_000 });
    for (const impl of impls) {
      r.cpu[impl] = v.notBuilt[impl] ? { notBuilt: v.notBuilt[impl] } : { values: v.results[impl] };
    }
  } catch (err) {
    for (const impl of impls) r.cpu[impl] = { error: String(err.message).split("\n")[0] };
  }
  const sizes = await bundleSizes();

  const rows = [];
  const rateRow = (label, res, key, cappedKey, goal) => {
    const f = pick(res.floor, key);
    const p = pick(res.phoenix, key);
    const o = pick(res.ours, key);
    const pr = pairedRatio(res.phoenix, res.floor, key);
    const or = pairedRatio(res.ours, res.floor, key);
    rows.push([
      label,
      cell(res.floor, f, fmtRate, cappedKey),
      cell(res.phoenix, p, fmtRate, cappedKey),
      cell(res.ours, o, fmtRate, cappedKey),
      anyCapped(res.phoenix, cappedKey) ? `≥ ${fmtRatio(pr)}` : fmtRatio(pr),
      res.ours?.notBuilt ? NOT_BUILT : fmtRatio(or),
      `≥ ${goal}×`,
      res.ours?.notBuilt ? "n/a" : verdict(or, { op: ">=", value: goal }),
    ]);
    return { floor: f, phoenix: p, ours: o, phoenixRatio: pr, oursRatio: or, goal: `>= ${goal}x` };
  };
  const summary = {};
  summary.pipelined50k = rateRow("50,000 pipelined push→reply", r.pipe50k, "rate", "capped", 0.5);
  summary.pipelined5k = rateRow("5,000 pipelined push→reply", r.pipe5k, "rate", "capped", 0.7);
  summary.delivery = rateRow("delivery to 1 of 10,000 joined channels", r.channels, "deliveryRate", "deliveryCapped", 0.8);

  {
    const f = pick(r.channels.floor, "joinMs");
    const p = pick(r.channels.phoenix, "joinMs");
    const o = pick(r.channels.ours, "joinMs");
    rows.push([
      "join storm, 10,000 channels (time)",
      cell(r.channels.floor, f, fmtMs),
      cell(r.channels.phoenix, p, fmtMs, "joinCapped"),
      cell(r.channels.ours, o, fmtMs, "joinCapped"),
      `${anyCapped(r.channels.phoenix, "joinCapped") ? "≥ " : ""}${fmtRatio(pairedRatio(r.channels.phoenix, r.channels.floor, "joinMs"))} slower`,
      r.channels.ours?.notBuilt ? NOT_BUILT : `${anyCapped(r.channels.ours, "joinCapped") ? "≥ " : ""}${fmtRatio(pairedRatio(r.channels.ours, r.channels.floor, "joinMs"))} slower`,
      "≤ 3× slower",
      r.channels.ours?.notBuilt ? "n/a" : verdict(pairedRatio(r.channels.ours, r.channels.floor, "joinMs"), { op: "<=", value: 3 }),
    ]);
    summary.joinStorm = {
      floorMs: f,
      phoenixMs: p,
      oursMs: o,
      phoenixSlower: pairedRatio(r.channels.phoenix, r.channels.floor, "joinMs"),
      oursSlower: pairedRatio(r.channels.ours, r.channels.floor, "joinMs"),
      goal: "<= 3x slower",
    };
  }
  {
    const f = pick(r.channels.floor, "heapPerChannel");
    const p = pick(r.channels.phoenix, "heapPerChannel");
    const o = pick(r.channels.ours, "heapPerChannel");
    rows.push([
      "heap per joined channel",
      cell(r.channels.floor, f, fmtBytes),
      cell(r.channels.phoenix, p, fmtBytes),
      cell(r.channels.ours, o, fmtBytes),
      fmtRatio(p / f),
      r.channels.ours?.notBuilt ? NOT_BUILT : fmtRatio(o / f),
      "≤ 1,200 B",
      r.channels.ours?.notBuilt ? "n/a" : verdict(o, { op: "<=", value: 1200 }),
    ]);
    summary.heapPerChannel = { floor: f, phoenix: p, ours: o, goal: "<= 1200 bytes" };
  }
  const cpuRow = (label, key, goal) => {
    const get = (impl) => (r.cpu[impl]?.values ? median(r.cpu[impl].values[key]) : NaN);
    const asRounds = (impl) => (r.cpu[impl]?.values ? { rounds: r.cpu[impl].values[key].map((v) => ({ v })) } : null);
    const ratio = (impl) => pairedRatio(asRounds(impl), asRounds("floor"), "v");
    const f = get("floor");
    const p = get("phoenix");
    const o = get("ours");
    const c = (impl, v) => (r.cpu[impl]?.notBuilt ? NOT_BUILT : r.cpu[impl]?.error ? `error: ${r.cpu[impl].error.slice(0, 60)}` : fmtRate(v));
    rows.push([
      label,
      c("floor", f),
      c("phoenix", p),
      c("ours", o),
      fmtRatio(ratio("phoenix")),
      r.cpu.ours?.notBuilt ? NOT_BUILT : fmtRatio(ratio("ours")),
      `≥ ${goal}×`,
      r.cpu.ours?.notBuilt ? "n/a" : verdict(ratio("ours"), { op: ">=", value: goal }),
    ]);
    return { floor: f, phoenix: p, ours: o, phoenixRatio: ratio("phoenix"), oursRatio: ratio("ours"), goal: `>= ${goal}x` };
  };
  summary.binaryDecode = cpuRow("binary 1 KiB decode", "binaryDecode", 0.5);
  summary.jsonEncode = cpuRow("JSON encode", "jsonEncode", 0.95);
  summary.jsonDecode = cpuRow("JSON decode", "jsonDecode", 0.95);
  {
    const o = sizes.ours?.gzip;
    const p = sizes.phoenix.gzip;
    rows.push([
      "IIFE bundle, min+gzip",
      "—",
      `${fmtNum(p)} B`,
      sizes.ours ? `${fmtNum(o)} B` : NOT_BUILT,
      "—",
      sizes.ours ? `${fmtRatio(o / p)} of phoenix.js` : NOT_BUILT,
      `≤ ${fmtNum(p)} B`,
      sizes.ours ? verdict(o, { op: "<=", value: p }) : "n/a",
    ]);
    summary.bundle = { ...sizes, goal: `<= ${p} bytes` };
  }
  log(
    table(
      ["workload", "floor", "phoenix.js", "ours", "phoenix.js / floor", "ours / floor", "goal", "result"],
      rows,
    ),
  );
  const notes = [];
  if (sizes.oursSource) notes.push(`Bundle measured from ${sizes.oursSource}; gzip level 9.`);
  if (sizes.note) notes.push(`Bundle: ${sizes.note}.`);
  notes.push(
    "Workloads: pipelined = N pushes sent in one burst on one joined channel, rate = N / time to the last reply (after a 5,000-push warm-up). " +
      "Join storm = 10,000 channels created and joined in one burst, time to the last join ok. Heap = heapUsed after a full GC, before and after the storm, per channel. " +
      "Delivery = 10,000 server messages streamed to 1 of those 10,000 channels, first to last message. Serializer rows = ops/s in a tight loop (a 1 KiB binary server push; a ~150-byte JSON message).",
  );
  notes.push(
    "Figures are medians of the rounds; a ratio is the median of the per-round ratios (each round measures the implementations back to back, " +
      "the serializer rows in interleaved slices), which keeps load changes on this shared machine out of the ratios. " +
      "Rates are per second (replies, or messages delivered). \"≥ … (capped)\" = the round hit its time cap, so the figure is a bound measured over the part that ran (a lower bound on speed, or on time for the join storm).",
  );
  for (const n of notes) log(`\n${n}`);
  results.sections.client = { summary, raw: r };
}

// ------------------------------------------------------------------ server section

function ulimitN() {
  try {
    const soft = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    return soft === "unlimited" ? Infinity : Number(soft);
  } catch {
    return NaN;
  }
}

/** Starts a server of `kind` and `procs` load generators, opens `total` connections, takes the RSS. */
async function holdConnections(kind, total, procs) {
  const server = await startServerChild("server-child.mjs", [kind], { execArgv: ["--expose-gc"] });
  const clients = [];
  const stop = async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await server.stop();
  };
  try {
    const rssBase = (await server.request({ cmd: "rss" })).rss;
    for (let i = 0; i < procs; i++) clients.push(await startServerChild("conn-client.mjs"));
    const per = Math.ceil(total / procs);
    const counts = clients.map((_, i) => Math.max(0, Math.min(per, total - i * per)));
    const t0 = now();
    const opened = await Promise.all(clients.map((c, i) => c.request({ cmd: "connect", port: server.port, count: counts[i] }, 180_000)));
    const connectMs = now() - t0;
    const open = opened.reduce((a, o) => a + o.opened, 0);
    const rssIdle = (await server.request({ cmd: "rss" })).rss;
    return { server, clients, stop, held: { open, connectMs, rssBase, rssIdle, rssPerConn: (rssIdle - rssBase) / Math.max(1, open) } };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One round on held connections: every connection joins a fresh topic, then `n` broadcasts to it. */
async function joinAndFanOut(h, topic, n) {
  const tj = now();
  const joins = await Promise.all(h.clients.map((c) => c.request({ cmd: "join", topic }, 120_000)));
  const joinMs = now() - tj;
  const joined = joins.reduce((a, j) => a + j.joined, 0);
  const waits = h.clients.map((c) => c.request({ cmd: "wait", n, capMs: 60_000 }, 90_000));
  const tb = now();
  const { loopMs } = await h.server.request({ cmd: "broadcast", topic, n }, 90_000);
  const got = await Promise.all(waits);
  const fanMs = now() - tb;
  const received = got.reduce((a, g) => a + g.received, 0);
  return {
    joined,
    joinMs,
    joinRate: joined / (joinMs / 1000),
    fanoutRate: received / (fanMs / 1000),
    sendLoopRate: (joined * n) / (loopMs / 1000),
    fanoutComplete: got.every((g) => g.complete),
  };
}

async function serverSection() {
  log("\n## Server\n");
  const limit = ulimitN();
  let total = 10_000;
  const notes = [];
  const headroom = 300;
  if (Number.isFinite(limit) && limit < total + headroom) {
    total = Math.max(500, Math.floor((limit - headroom) / 1000) * 1000);
    notes.push(`ulimit -n is ${limit}: holding ${fmtNum(total)} connections instead of 10,000 (raise it with \`ulimit -n 20000\`).`);
  }
  const procs = 4;
  const fanout = 5;
  log(
    `${fmtNum(total)} WebSocket connections from ${procs} client processes; the server in its own process; ` +
      `bare = a \`ws\` server doing only the JSON (join registry, replies, one JSON.stringify per broadcast). Fan-out: ${fanout} broadcasts to every subscriber.`,
  );
  const res = { bare: [], ours: [] };
  const held = {};
  const errors = {};
  const live = {};
  try {
    for (const kind of ["bare", "ours"]) {
      progress(`server: ${kind}, opening ${fmtNum(total)} connections`);
      try {
        live[kind] = await holdConnections(kind, total, procs);
        held[kind] = live[kind].held;
        progress(`server: ${kind}: ${fmtNum(held[kind].open)} open in ${fmtMs(held[kind].connectMs)}, RSS ${fmtBytes(held[kind].rssIdle)}`);
      } catch (err) {
        errors[kind] = String(err.message).split("\n")[0];
      }
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of ["bare", "ours"]) {
        if (!live[kind] || errors[kind]) continue;
        try {
          const v = await joinAndFanOut(live[kind], `room:fanout${r}`, fanout);
          res[kind].push(v);
          progress(`server: ${kind} round ${r + 1}/${ROUNDS}: joins ${fmtMs(v.joinMs)}, fan-out ${fmtRate(v.fanoutRate)}`);
        } catch (err) {
          errors[kind] = String(err.message).split("\n")[0];
        }
      }
    }
  } finally {
    for (const h of Object.values(live)) await h.stop();
  }
  const m = (kind, key) => median(res[kind].map((x) => x[key]));
  const c = (kind, v, fmt) =>
    errors[kind] && res[kind].length === 0 ? (errors[kind].includes("not built") ? NOT_BUILT : `error: ${errors[kind].slice(0, 60)}`) : fmt(v);
  const rows = [];
  const oursBuilt = Boolean(held.ours);
  const hv = (kind, key) => (held[kind] ? held[kind][key] : NaN);
  const hc = (kind, v, fmt) => (held[kind] ? fmt(v) : errors[kind]?.includes("not built") ? NOT_BUILT : `error: ${String(errors[kind]).slice(0, 60)}`);
  {
    const b = hv("bare", "rssIdle");
    const o = hv("ours", "rssIdle");
    const full = total === 10_000 && hv("ours", "open") >= 10_000;
    rows.push([
      `${fmtNum(total)} idle WebSocket connections held (server RSS)`,
      hc("bare", b, fmtBytes),
      hc("ours", o, fmtBytes),
      oursBuilt ? fmtRatio(o / b) : "n/a",
      "10,000 in < 1 GiB",
      oursBuilt && full ? verdict(o, { op: "<=", value: 2 ** 30 }) : "n/a",
    ]);
    rows.push([
      "  RSS added per connection",
      hc("bare", hv("bare", "rssPerConn"), fmtBytes),
      hc("ours", hv("ours", "rssPerConn"), fmtBytes),
      oursBuilt ? fmtRatio(hv("ours", "rssPerConn") / hv("bare", "rssPerConn")) : "n/a",
      "—",
      "—",
    ]);
  }
  rows.push([
    `join storm, ${fmtNum(total)} connections × 1 join (joins/s)`,
    c("bare", m("bare", "joinRate"), fmtRate),
    c("ours", m("ours", "joinRate"), fmtRate),
    oursBuilt ? fmtRatio(pairedRatio({ rounds: res.ours }, { rounds: res.bare }, "joinRate")) : "n/a",
    "—",
    "—",
  ]);
  rows.push([
    `broadcast fan-out to ${fmtNum(total)} subscribers (messages/s)`,
    c("bare", m("bare", "fanoutRate"), fmtRate),
    c("ours", m("ours", "fanoutRate"), fmtRate),
    oursBuilt ? fmtRatio(pairedRatio({ rounds: res.ours }, { rounds: res.bare }, "fanoutRate")) : "n/a",
    "—",
    "—",
  ]);
  rows.push([
    "  the server's send loop alone (messages/s)",
    c("bare", m("bare", "sendLoopRate"), fmtRate),
    c("ours", m("ours", "sendLoopRate"), fmtRate),
    oursBuilt ? fmtRatio(pairedRatio({ rounds: res.ours }, { rounds: res.bare }, "sendLoopRate")) : "n/a",
    "—",
    "—",
  ]);
  log(table(["workload", "bare ws", "ours", "ours / bare", "goal", "result"], rows));
  for (const kind of ["bare", "ours"]) {
    if (res[kind].some((x) => !x.fanoutComplete)) notes.push(`${kind}: some fan-out rounds did not deliver every message within 60 s (rate counts what arrived).`);
    if (held[kind] && held[kind].open < total) notes.push(`${kind}: only ${fmtNum(held[kind].open)} of ${fmtNum(total)} connections opened.`);
    if (res[kind].some((x) => x.joined < (held[kind]?.open ?? 0))) notes.push(`${kind}: not every connection's join was answered in some round.`);
    if (errors[kind] && res[kind].length) notes.push(`${kind}: stopped after ${res[kind].length} rounds: ${errors[kind]}`);
  }
  notes.push(
    `The connections are opened once per server (${fmtMs(hv("bare", "connectMs"))} bare, ${fmtMs(hv("ours", "connectMs"))} ours) and held through every round, so RSS is one ` +
      "measurement (after a full GC, before any join); each round joins every connection to a fresh topic, then fans out to it.",
  );
  notes.push(
    "Fan-out messages/s is end to end (broadcast call to the last message counted by the load generators, which share the 2 cores); " +
      "the send-loop row is the time of the broadcast calls alone inside the server process.",
  );
  notes.push("No goal in the issues for join storm and fan-out: shown as ratios to the bare server.");
  for (const n of notes) log(`\n${n}`);
  results.sections.server = { total, procs, fanout, held, rounds: res, errors };
}

// ------------------------------------------------------------------ LongPoll section

async function longpollSection() {
  log("\n## LongPoll\n");
  log("Our client and our server over each transport: pipelined push→reply throughput, and sequential round-trip latency.");
  const out = {};
  let server;
  try {
    server = await startServerChild("server-child.mjs", ["ours"]);
  } catch (err) {
    const why = String(err.message).includes("not built") ? NOT_BUILT : `error: ${String(err.message).split("\n")[0].slice(0, 80)}`;
    log(table(["metric", "WebSocket", "LongPoll", "LongPoll vs WebSocket"], [["push→reply messages/s", why, why, "n/a"], ["round-trip latency (median)", why, why, "n/a"]]));
    results.sections.longpoll = { error: why };
    return;
  }
  try {
    out.websocket = [];
    out.longpoll = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const transport of ["websocket", "longpoll"]) {
        if (!Array.isArray(out[transport])) continue;
        progress(`longpoll: ${transport} round ${r + 1}/${ROUNDS}`);
        try {
          const v = await runChild("lp-worker.mjs", [transport, server.port, 2000, 100], { timeoutMs: 60_000 });
          if (v?.notBuilt) {
            out[transport] = { notBuilt: v.notBuilt };
            continue;
          }
          out[transport].push(v);
        } catch (err) {
          out[transport] = { error: String(err.message).split("\n")[0] };
          continue;
        }
      }
    }
  } finally {
    await server.stop();
  }
  const get = (t, k) => (Array.isArray(out[t]) ? median(out[t].map((x) => x[k])) : NaN);
  const c = (t, v, fmt) => (out[t]?.notBuilt ? NOT_BUILT : out[t]?.error ? `error: ${out[t].error.slice(0, 60)}` : fmt(v));
  const wsRate = get("websocket", "rate");
  const lpRate = get("longpoll", "rate");
  const wsLat = get("websocket", "latencyMs");
  const lpLat = get("longpoll", "latencyMs");
  log(
    table(
      ["metric", "WebSocket", "LongPoll", "LongPoll vs WebSocket"],
      [
        ["push→reply messages/s (2,000 pipelined)", c("websocket", wsRate, fmtRate), c("longpoll", lpRate, fmtRate), fmtRatio(Array.isArray(out.longpoll) && Array.isArray(out.websocket) ? pairedRatio({ rounds: out.longpoll }, { rounds: out.websocket }, "rate") : NaN)],
        ["round-trip latency (median of 100 sequential)", c("websocket", wsLat, fmtMs), c("longpoll", lpLat, fmtMs), Number.isFinite(lpLat - wsLat) ? `+${fmtMs(lpLat - wsLat)} added` : "n/a"],
      ],
    ),
  );
  log("\nNo numeric goal in the issue: reported for comparison.");
  results.sections.longpoll = { raw: out, wsRate, lpRate, wsLat, lpLat };
}

// ------------------------------------------------------------------ Presence section

async function presenceSection() {
  log("\n## Presence\n");
  log("A Presence instance fed through its channel's `presence_state` / `presence_diff` handlers (what an app pays per diff event), 10,000 keys.");
  const bySize = {};
  for (const keys of [10_000, 1_000]) {
    const out = (bySize[keys] = {});
    progress(`presence: phoenix and ours, ${fmtNum(keys)} keys`);
    try {
      const v = await runChild("presence-worker.mjs", [ROUNDS, keys, "phoenix", "ours"], { execArgv: ["--expose-gc"], timeoutMs: 180_000 });
      for (const impl of ["phoenix", "ours"]) out[impl] = v.notBuilt[impl] ? { notBuilt: v.notBuilt[impl] } : { values: v.results[impl] };
    } catch (err) {
      for (const impl of ["phoenix", "ours"]) out[impl] = { error: String(err.message).split("\n")[0] };
    }
  }
  const out = bySize[10_000];
  const get = (impl, k, o = out) => (o[impl]?.values ? median(o[impl].values[k]) : NaN);
  const c = (impl, v, o = out) => (o[impl]?.notBuilt ? NOT_BUILT : o[impl]?.error ? `error: ${o[impl].error.slice(0, 60)}` : fmtMs(v));
  const rows = [];
  const row = (label, key, goal, o = out) => {
    const p = get("phoenix", key, o);
    const o2 = get("ours", key, o);
    return rowOf(label, p, o2, goal, o);
  };
  const rowOf = (label, p, o, goal, src) => {
    const speedup = p / o;
    rows.push([
      label,
      c("phoenix", p, src),
      c("ours", o, src),
      src.ours?.values ? `${fmtRatio(speedup)} faster` : "n/a",
      goal ? `≥ ${goal}× faster` : "—",
      goal ? (src.ours?.values ? verdict(speedup, { op: ">=", value: goal }) : "n/a") : "—",
    ]);
    return { phoenixMs: p, oursMs: o, speedup };
  };
  const summary = {
    diff: row("syncDiff, 1 changed key of 10,000 (per diff event)", "diffMs", 50),
    list: row("list() over 10,000 keys", "listMs", 0),
    staticDiff: row("static Presence.syncDiff, 1 changed key of 10,000", "staticDiffMs", 0),
    diff1k: row("  same diff event with 1,000 keys (how it scales)", "diffMs", 0, bySize[1_000]),
    list1k: row("  list() over 1,000 keys", "listMs", 0, bySize[1_000]),
  };
  log(table(["workload (time per call)", "phoenix.js", "ours", "ours vs phoenix.js", "goal", "result"], rows));
  log(
    "\nEach diff replaces the one meta of one key (a leave of the old phx_ref and a join of the new one), so the state keeps its size. " +
      "The 1,000-key rows show how the per-diff cost grows with the number of keys.",
  );
  results.sections.presence = { summary, raw: bySize };
}

// ------------------------------------------------------------------ main

const started = now();
log(`# phx-channels benchmarks\n`);
const mi = results.machine;
log(`${mi.date} · ${mi.cpu} · ${mi.cores} cores · ${mi.memoryGiB} GiB · Node ${mi.node} · ${mi.platform} · median of ${ROUNDS} rounds · load average at start ${mi.loadAvgAtStart.join(", ")}`);
const { built, notes } = await buildAll();
results.built = built;
for (const n of notes) log(`\nBuild note: ${n}`);
const runners = { client: clientSection, server: serverSection, longpoll: longpollSection, presence: presenceSection };
for (const s of sections) {
  const t = now();
  try {
    await runners[s]();
    progress(`${s} section took ${fmtNum((now() - t) / 1000, 1)} s`);
  } catch (err) {
    log(`\n${s} section failed: ${String(err?.stack ?? err).split("\n")[0]}`);
    results.sections[s] = { error: String(err?.message ?? err) };
  }
}
const totalS = (now() - started) / 1000;
log(`\nTotal bench time: ${fmtNum(totalS, 1)} s.`);
results.totalSeconds = totalS;
writeFileSync(path.join(OUT_DIR, "results.json"), JSON.stringify(results, null, 2));
process.exit(0);

// Presence at scale, all rounds in one process (pure CPU):
//   node presence-worker.mjs <rounds> <keys> <impl>...      impl: phoenix | ours
// The implementations take turns inside every round, so changes in machine load hit both alike.
// A Presence instance is attached to a stand-in channel that records the handlers Presence
// registers; the benchmark calls those handlers exactly as a channel would on `presence_state`
// and `presence_diff` frames. Each diff changes one key (one meta replaced, as on an update).
// Reports per-round milliseconds per call: {results: {impl: {diffMs, listMs, staticDiffMs}}, notBuilt}.
import { loadOurs, loadPhoenix, NotBuilt } from "./clients.mjs";
import { now, report, reportError } from "./lib.mjs";

const [roundsArg, keysArg, ...impls] = process.argv.slice(2);
const rounds = Number(roundsArg) || 5;
const KEYS = Number(keysArg) || 10_000;

function meta(ref, i) {
  return { phx_ref: ref, name: `user ${i}`, device: i % 2 ? "web" : "phone", online_at: 1732200000 + i };
}

function initialState() {
  const state = {};
  for (let i = 0; i < KEYS; i++) state[`user:${i}`] = { metas: [meta(`r${i}`, i)] };
  return state;
}

/** A channel as Presence sees it: `on` records handlers; `joinRef()` is stable (no rejoin). */
function standInChannel() {
  const handlers = new Map();
  let nextRef = 0;
  return {
    topic: "room:presence",
    state: "joined",
    handlers,
    on(event, cb) {
      if (!handlers.has(event)) handlers.set(event, []);
      handlers.get(event).push(cb);
      return ++nextRef;
    },
    off() {},
    onError() {
      return ++nextRef;
    },
    onClose() {
      return ++nextRef;
    },
    joinRef() {
      return "1";
    },
    isJoined() {
      return true;
    },
    trigger(event, payload) {
      for (const cb of handlers.get(event) ?? []) cb(payload, null, "1");
    },
  };
}

/** Diff generator: each call replaces the single meta of one key (leave old ref, join new ref). */
function diffMaker() {
  const current = new Array(KEYS);
  for (let i = 0; i < KEYS; i++) current[i] = `r${i}`;
  let n = 0;
  return () => {
    const i = (n * 7919) % KEYS;
    const next = `u${n++}`;
    const key = `user:${i}`;
    const diff = {
      joins: { [key]: { metas: [{ ...meta(next, i), phx_ref_prev: current[i] }] } },
      leaves: { [key]: { metas: [meta(current[i], i)] } },
    };
    current[i] = next;
    return diff;
  };
}

/** A fresh timing loop per (impl, phase), so call-site feedback is not shared between impls. */
function makeTimer() {
  // eslint-disable-next-line no-new-func
  const loop = new Function(
    "fn",
    "inputs",
    "max",
    "capMs",
    "now",
    "const t0 = now(); let done = 0; while (done < max) { fn(inputs ? inputs[done] : done); done++; if ((done & 7) === 0 && now() - t0 > capMs) break; } return (now() - t0) / done;",
  );
  /** Calls `fn` up to `max` times or until `capMs` passes; returns ms per call. */
  return (fn, max, capMs, prepare) => loop(fn, prepare ? Array.from({ length: max }, prepare) : null, max, capMs, now);
}

async function setup(impl) {
  let Presence;
  if (impl === "phoenix") Presence = (await loadPhoenix()).Presence;
  else {
    try {
      Presence = (await loadOurs()).Presence;
    } catch (err) {
      if (err instanceof NotBuilt) return { notBuilt: err.message };
      throw err;
    }
    if (typeof Presence !== "function") return { notBuilt: "src/node.ts has no Presence export yet" };
  }
  const channel = standInChannel();
  const presence = new Presence(channel);
  let syncs = 0;
  presence.onSync(() => syncs++);
  channel.trigger("presence_state", initialState());
  if (presence.list().length !== KEYS) throw new Error(`${impl}: presence lists ${presence.list().length} keys after the state, ${KEYS} expected`);
  const nextDiff = diffMaker();
  const staticNextDiff = diffMaker();
  let staticState = initialState();
  const sink = [];
  const timers = { diffMs: makeTimer(), listMs: makeTimer(), staticDiffMs: makeTimer() };
  const phases = {
    diffMs: () => timers.diffMs((d) => channel.trigger("presence_diff", d), 2000, 500, () => nextDiff()),
    listMs: () => timers.listMs(() => sink.push(presence.list().length), 100, 500),
    staticDiffMs: () =>
      timers.staticDiffMs(
        (d) => {
          // What the static API costs a caller who keeps the returned state, as the docs show.
          staticState = Presence.syncDiff(staticState, d);
        },
        2000,
        500,
        () => staticNextDiff(),
      ),
  };
  const check = () => {
    const listed = presence.list().length;
    if (listed !== KEYS) throw new Error(`${impl}: presence lists ${listed} keys after the diffs, ${KEYS} expected`);
    if (syncs < 2) throw new Error(`${impl}: onSync did not fire for the diffs`);
  };
  return { phases, check };
}

try {
  const setups = {};
  const notBuilt = {};
  const results = {};
  for (const impl of impls) {
    const s = await setup(impl);
    if (s.notBuilt) notBuilt[impl] = s.notBuilt;
    else {
      setups[impl] = s;
      results[impl] = { diffMs: [], listMs: [], staticDiffMs: [] };
      for (const phase of Object.values(s.phases)) phase(); // warm-up
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const [impl, s] of Object.entries(setups)) {
      for (const [name, phase] of Object.entries(s.phases)) {
        globalThis.gc?.();
        results[impl][name].push(phase());
      }
    }
  }
  for (const s of Object.values(setups)) s.check();
  report({ results, notBuilt });
} catch (err) {
  reportError(err);
}

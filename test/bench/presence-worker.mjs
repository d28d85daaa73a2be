// Presence at scale, all rounds in one process (pure CPU):
//   node presence-worker.mjs <impl> <rounds> <keys>      impl: phoenix | ours
// A Presence instance is attached to a stand-in channel that records the handlers Presence
// registers; the benchmark calls those handlers exactly as a channel would on `presence_state`
// and `presence_diff` frames. Each diff changes one key (one meta replaced, as on an update).
// Reports per-round milliseconds per call: {diffMs, listMs, staticDiffMs}.
import { loadOurs, loadPhoenix, NotBuilt } from "./clients.mjs";
import { now, report, reportError } from "./lib.mjs";

const [impl, roundsArg, keysArg] = process.argv.slice(2);
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

/** Calls `fn(i)` up to `max` times or until `capMs` passes; returns ms per call. */
function timePerCall(fn, max, capMs, prepare) {
  const inputs = prepare ? Array.from({ length: max }, prepare) : null;
  const t0 = now();
  let done = 0;
  while (done < max) {
    fn(inputs ? inputs[done] : done);
    done++;
    if ((done & 7) === 0 && now() - t0 > capMs) break;
  }
  return (now() - t0) / done;
}

try {
  let Presence;
  if (impl === "phoenix") Presence = (await loadPhoenix()).Presence;
  else {
    Presence = (await loadOurs()).Presence;
    if (typeof Presence !== "function") throw new NotBuilt("src/node.ts has no Presence export yet");
  }
  const channel = standInChannel();
  const presence = new Presence(channel);
  let syncs = 0;
  presence.onSync(() => syncs++);
  channel.trigger("presence_state", initialState());
  if (presence.list().length !== KEYS) throw new Error(`presence lists ${presence.list().length} keys after the state, ${KEYS} expected`);
  const nextDiff = diffMaker();
  const staticNextDiff = diffMaker();
  let staticState = initialState();
  const sink = [];
  const out = { diffMs: [], listMs: [], staticDiffMs: [], syncs: 0 };
  const phases = {
    diffMs: () => timePerCall((d) => channel.trigger("presence_diff", d), 5000, 1500, () => nextDiff()),
    listMs: () => timePerCall(() => sink.push(presence.list().length), 500, 1500),
    staticDiffMs: () =>
      timePerCall(
        (d) => {
          // What the static API gives a caller who keeps the returned state, as the docs show.
          staticState = Presence.syncDiff(staticState, d);
        },
        5000,
        1500,
        () => staticNextDiff(),
      ),
  };
  for (const [name, phase] of Object.entries(phases)) {
    phase(); // warm-up
    for (let r = 0; r < rounds; r++) out[name].push(phase());
  }
  const listed = presence.list().length;
  if (listed !== KEYS) throw new Error(`presence lists ${listed} keys after the diffs, ${KEYS} expected`);
  out.syncs = syncs;
  report(out);
} catch (err) {
  if (err instanceof NotBuilt) report({ notBuilt: err.message });
  else reportError(err);
}

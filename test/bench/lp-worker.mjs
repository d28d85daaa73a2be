// One round of our client against our server over one transport:
//   node lp-worker.mjs <websocket|longpoll> <port> <pipelined> <sequential>
// Reports {rate: pipelined push→reply per second, latencyMs: median sequential round trip}.
import { LONG, loadOurs, NotBuilt } from "./clients.mjs";
import { hardStop, median, now, report, reportError } from "./lib.mjs";

const [transport, portArg, pipelinedArg, sequentialArg] = process.argv.slice(2);
const N = Number(pipelinedArg) || 2000;
const SEQ = Number(sequentialArg) || 200;
const CAP_MS = 20_000;

try {
  const mod = await loadOurs();
  if (typeof mod.Socket !== "function") throw new NotBuilt("src/node.ts has no Socket export yet");
  const opts = { timeout: LONG, heartbeatIntervalMs: LONG };
  if (transport === "longpoll") {
    if (typeof mod.LongPoll !== "function") throw new NotBuilt("src/node.ts has no LongPoll export yet");
    opts.transport = mod.LongPoll;
  }
  const socket = new mod.Socket(`ws://127.0.0.1:${portArg}/socket`, opts);
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${transport}: no open within 10 s`)), 10_000);
    socket.onOpen(() => {
      clearTimeout(t);
      resolve();
    });
    socket.connect();
  });
  const channel = socket.channel("room:lp", {});
  await new Promise((resolve, reject) => {
    channel.join(LONG).receive("ok", resolve).receive("error", (e) => reject(new Error(`join refused: ${JSON.stringify(e)}`)));
  });
  const t0 = now();
  const stopIfLate = (what) => {
    if (now() - t0 > CAP_MS) hardStop({ rate: NaN, latencyMs: NaN, capped: what });
  };
  const roundTrip = () =>
    new Promise((resolve) => {
      const s = now();
      channel.push("ping", { t: s }, LONG).receive("ok", () => resolve(now() - s));
    });
  // Warm-up, then sequential latency.
  for (let i = 0; i < 20; i++) await roundTrip();
  const lat = [];
  for (let i = 0; i < SEQ; i++) {
    lat.push(await roundTrip());
    stopIfLate("latency");
  }
  // Pipelined throughput.
  let replies = 0;
  let last = 0;
  const p0 = now();
  await new Promise((resolve) => {
    for (let i = 0; i < N; i++) {
      channel.push("ping", { i }, LONG).receive("ok", () => {
        replies++;
        last = now();
        if (replies === N) resolve();
      });
    }
    const check = () => {
      if (replies >= N) return;
      stopIfLate("throughput");
      setTimeout(check, 5);
    };
    check();
  });
  const value = { rate: N / ((last - p0) / 1000), latencyMs: median(lat) };
  try {
    socket.disconnect();
  } catch {}
  report(value);
} catch (err) {
  if (err instanceof NotBuilt) report({ notBuilt: err.message });
  else reportError(err);
}

// One round of one client workload, in a fresh process (run with --expose-gc):
//   node client-worker.mjs <impl> pipelined <port> <n> <capMs>
//   node client-worker.mjs <impl> channels  <port> <channels> <messages> <capMs>
// Reports one result object to the parent, then exits. A round that hits its cap reports what it
// measured so far with `capped: true` (a lower bound on speed) and exits at once: the check runs
// inside the message callbacks, because a slow client can spend many seconds in one synchronous
// burst of frames where no timer would get a turn.
import { makeClient, NotBuilt } from "./clients.mjs";
import { hardStop, now, report, reportError, sleep } from "./lib.mjs";

const [impl, workload, portArg, ...rest] = process.argv.slice(2);
const url = `ws://127.0.0.1:${portArg}/socket`;
const gc = globalThis.gc ?? (() => {});

function fullGc() {
  gc();
  gc();
}

/** Resolves when `count()` reaches `target`; the callers' own cap checks end the process otherwise. */
function waitFor(count, target, capMs, onCap) {
  return new Promise((resolve) => {
    const started = now();
    const tick = () => {
      if (count() >= target) return resolve();
      if (now() - started >= capMs) return onCap();
      setTimeout(tick, 1);
    };
    tick();
  });
}

async function pipelined(n, capMs) {
  const client = await makeClient(impl, url);
  await client.connect();
  const ch = client.channel("room:pipe");
  await new Promise((r) => client.join(ch, r));
  // Warm up the push/reply path so the round measures steady-state code.
  const WARM = Math.min(5000, n);
  let warm = 0;
  for (let i = 0; i < WARM; i++) client.push(ch, "ping", { i }, () => warm++);
  await waitFor(() => warm, WARM, capMs, () => hardStop({ warmupCapped: true, rate: NaN, capped: true }));
  let replies = 0;
  let last = 0;
  let t0 = 0;
  const capped = () => {
    const elapsed = now() - t0;
    hardStop({ rate: replies / (elapsed / 1000), replies, n, elapsedMs: elapsed, capped: true });
  };
  const onReply = () => {
    replies++;
    last = now();
    if (last - t0 > capMs) capped();
  };
  t0 = now();
  for (let i = 0; i < n; i++) client.push(ch, "ping", { i }, onReply);
  await waitFor(() => replies, n, capMs, capped);
  const elapsed = last - t0;
  client.close();
  return { rate: replies / (elapsed / 1000), replies, n, elapsedMs: elapsed, capped: false };
}

async function channels(count, messages, capMs) {
  // Warm-up on a throwaway connection: JIT the join path without leaving channels behind.
  {
    const warm = await makeClient(impl, url);
    await warm.connect();
    let joined = 0;
    for (let i = 0; i < 2000; i++) warm.join(warm.channel(`warm:${i}`), () => joined++);
    await waitFor(() => joined, 2000, capMs, () => hardStop({ warmupCapped: true, joinCapped: true }));
    warm.close();
    await sleep(20);
  }
  const client = await makeClient(impl, url);
  await client.connect();
  fullGc();
  const heap0 = process.memoryUsage().heapUsed;
  let joined = 0;
  let lastJoin = 0;
  let t0 = 0;
  const joinCapped = () => {
    // The time so far is a lower bound on the join storm's time; heap and delivery need every join.
    const elapsed = now() - t0;
    hardStop({ joinMs: elapsed, joined, count, joinCapped: true, joinRate: joined / (elapsed / 1000) });
  };
  const onJoin = () => {
    joined++;
    lastJoin = now();
    if (lastJoin - t0 > capMs) joinCapped();
  };
  const chans = new Array(count);
  t0 = now();
  for (let i = 0; i < count; i++) {
    const ch = client.channel(`room:${i}`);
    chans[i] = ch;
    client.join(ch, onJoin);
  }
  await waitFor(() => joined, count, capMs, joinCapped);
  const result = { joinMs: lastJoin - t0, joined, count, joinCapped: false };
  await sleep(10);
  fullGc();
  result.heapPerChannel = (process.memoryUsage().heapUsed - heap0) / count;

  // Delivery to one channel among `count`: two warm-up blasts, then the measured one.
  const target = chans[count >> 1];
  let got = 0;
  let first = 0;
  let lastMsg = 0;
  let measuring = false;
  const deliveryCapped = () => {
    const span = now() - first;
    hardStop({ ...result, deliveryRate: (got - 1) / (span / 1000), delivered: got, deliveryCapped: true });
  };
  client.on(target, "msg", () => {
    got++;
    lastMsg = now();
    if (got === 1) first = lastMsg;
    else if (measuring && lastMsg - first > capMs) deliveryCapped();
  });
  for (let w = 0; w < 2; w++) {
    got = 0;
    client.push(target, "blast", { n: 1000 });
    await waitFor(() => got, 1000, capMs, () => hardStop({ ...result, deliveryRate: NaN, deliveryCapped: true }));
  }
  got = 0;
  measuring = true;
  client.push(target, "blast", { n: messages });
  await waitFor(() => got, messages, capMs * 2, deliveryCapped);
  result.deliveryRate = (got - 1) / ((lastMsg - first) / 1000);
  result.delivered = got;
  result.deliveryCapped = false;
  client.close();
  chans.length = 0;
  return result;
}

try {
  let value;
  if (workload === "pipelined") value = await pipelined(Number(rest[0]), Number(rest[1]));
  else if (workload === "channels") value = await channels(Number(rest[0]), Number(rest[1]), Number(rest[2]));
  else throw new Error(`unknown workload ${workload}`);
  report(value);
} catch (err) {
  if (err instanceof NotBuilt) report({ notBuilt: err.message });
  else reportError(err);
}

// A load generator for the server section: holds many raw `ws` connections in one process.
// Driven over IPC by the runner (replies carry the request id):
//   {cmd: "connect", port, count}  → opens `count` connections (at most 100 handshakes at a time)
//   {cmd: "join", topic}           → every connection joins `topic`; resolves when all are ok
//   {cmd: "wait", n, capMs}        → resolves when every connection has received `n` broadcasts
//   {cmd: "exit"}
import WebSocket from "ws";

const conns = [];
let ticks = [];
let waiter = null;
let joinWaiter = null;
let joinedCount = 0;

function reply(id, value) {
  process.send({ id, value });
}

function checkWaiter() {
  if (!waiter) return;
  if (waiter.remaining === 0) {
    const w = waiter;
    waiter = null;
    clearTimeout(w.timer);
    reply(w.id, { complete: true, received: w.n * conns.length });
  }
}

function open(url, index) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on("open", () => {
      conns[index] = ws;
      resolve(true);
    });
    ws.on("error", () => resolve(false));
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      // Cheap routing by event name: the bench only needs to count.
      if (text.includes('"tick"')) {
        const c = ++ticks[index];
        if (waiter && c === waiter.n) {
          waiter.remaining--;
          checkWaiter();
        }
      } else if (text.includes('"phx_reply"') && text.includes('"room:fanout"')) {
        joinedCount++;
        if (joinWaiter && joinedCount >= joinWaiter.target) {
          const w = joinWaiter;
          joinWaiter = null;
          reply(w.id, { joined: joinedCount });
        }
      }
    });
  });
}

process.on("message", async (msg) => {
  const { id, cmd } = msg ?? {};
  if (cmd === "connect") {
    const url = `ws://127.0.0.1:${msg.port}/socket/websocket?vsn=2.0.0`;
    let next = 0;
    let opened = 0;
    let failed = 0;
    const worker = async () => {
      while (next < msg.count) {
        const i = next++;
        if (await open(url, i)) opened++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(100, msg.count) }, worker));
    // Keep only the open ones, densely indexed.
    const live = conns.filter(Boolean);
    conns.length = 0;
    conns.push(...live);
    ticks = new Array(conns.length).fill(0);
    reply(id, { opened, failed });
  } else if (cmd === "join") {
    joinedCount = 0;
    joinWaiter = { id, target: conns.length };
    for (let i = 0; i < conns.length; i++) {
      const ref = String(i + 1);
      conns[i].send(JSON.stringify([ref, ref, msg.topic, "phx_join", {}]));
    }
    if (conns.length === 0) reply(id, { joined: 0 });
  } else if (cmd === "wait") {
    let remaining = 0;
    for (const c of ticks) if (c < msg.n) remaining++;
    waiter = { id, n: msg.n, remaining, timer: null };
    waiter.timer = setTimeout(() => {
      if (!waiter) return;
      const received = ticks.reduce((a, b) => a + Math.min(b, msg.n), 0);
      waiter = null;
      reply(id, { complete: false, received });
    }, msg.capMs ?? 60_000);
    checkWaiter();
  } else if (cmd === "exit") {
    for (const ws of conns) ws.terminate();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
process.send({ type: "listening", port: 0 });

// A load generator for the server section: holds many WebSocket connections in one process.
// It speaks just enough RFC 6455 by hand (a fixed upgrade request, masked text frames with a zero
// key, a frame parser that only counts) so that 10,000 connections cost the load generator as
// little CPU as possible and the figures measure the server.
// Driven over IPC by the runner (replies carry the request id):
//   {cmd: "connect", port, count}  → opens `count` connections (at most 100 handshakes at a time)
//   {cmd: "join", topic}           → every connection joins `topic`; resolves when all are ok
//   {cmd: "wait", n, capMs}        → resolves when every connection has received `n` broadcasts
//                                    since the last "join"
//   {cmd: "exit"}
import net from "node:net";

const conns = [];
let waiter = null;
let joinWaiter = null;
let joinedCount = 0;
let joinTopic = "";

function reply(id, value) {
  process.send({ id, value });
}

function textFrame(text) {
  const body = Buffer.from(text);
  const n = body.length;
  // Client frames must be masked; an all-zero key leaves the payload bytes as they are.
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n, 0, 0, 0, 0]) : Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255, 0, 0, 0, 0]);
  return Buffer.concat([head, body]);
}

class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = null;
    this.ticks = 0;
  }
  onData(chunk) {
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (buf.length < 2) break;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) break;
      if (opcode === 1) this.onText(buf.subarray(off, off + len));
      buf = buf.subarray(off + len);
    }
    this.buf = buf.length ? buf : null;
  }
  onText(payload) {
    if (payload.includes('"tick"')) {
      const c = ++this.ticks;
      if (waiter && c === waiter.n) {
        waiter.remaining--;
        checkWaiter();
      }
    } else if (payload.includes('"phx_reply"') && payload.includes(joinTopic)) {
      joinedCount++;
      if (joinWaiter && joinedCount >= joinWaiter.target) {
        const w = joinWaiter;
        joinWaiter = null;
        reply(w.id, { joined: joinedCount });
      }
    }
  }
}

function checkWaiter() {
  if (waiter && waiter.remaining === 0) {
    const w = waiter;
    waiter = null;
    clearTimeout(w.timer);
    reply(w.id, { complete: true, received: w.n * conns.length });
  }
}

function open(port) {
  const request =
    `GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.write(request));
    let head = Buffer.alloc(0);
    const onHead = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      sock.off("data", onHead);
      if (!head.subarray(0, 12).toString().includes(" 101")) {
        sock.destroy();
        return resolve(false);
      }
      const conn = new Conn(sock);
      conns.push(conn);
      sock.on("data", (d) => conn.onData(d));
      const rest = head.subarray(end + 4);
      if (rest.length) conn.onData(rest);
      resolve(true);
    };
    sock.on("data", onHead);
    sock.on("error", () => resolve(false));
    sock.setNoDelay(true);
  });
}

process.on("message", async (msg) => {
  const { id, cmd } = msg ?? {};
  if (cmd === "connect") {
    let next = 0;
    let opened = 0;
    let failed = 0;
    const worker = async () => {
      while (next < msg.count) {
        next++;
        if (await open(msg.port)) opened++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(100, msg.count) }, worker));
    reply(id, { opened, failed });
  } else if (cmd === "join") {
    joinedCount = 0;
    joinTopic = JSON.stringify(msg.topic);
    for (const c of conns) c.ticks = 0;
    joinWaiter = { id, target: conns.length };
    for (let i = 0; i < conns.length; i++) {
      const ref = String(i + 1);
      conns[i].sock.write(textFrame(JSON.stringify([ref, ref, msg.topic, "phx_join", {}])));
    }
    if (conns.length === 0) reply(id, { joined: 0 });
  } else if (cmd === "wait") {
    let remaining = 0;
    for (const c of conns) if (c.ticks < msg.n) remaining++;
    waiter = { id, n: msg.n, remaining, timer: null };
    waiter.timer = setTimeout(() => {
      if (!waiter) return;
      const received = conns.reduce((a, c) => a + Math.min(c.ticks, msg.n), 0);
      waiter = null;
      reply(id, { complete: false, received });
    }, msg.capMs ?? 60_000);
    checkWaiter();
  } else if (cmd === "exit") {
    for (const c of conns) c.sock.destroy();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
process.send({ type: "listening", port: 0 });

// The minimal server of the client section, in its own process: it answers every join, leave,
// heartbeat and push at once with an ok reply, and on a "blast" push streams `n` messages to
// the pushing topic. Replies are framed by hand and written once per tick, so the server costs
// as little as possible and the figures measure the client.
import { WebSocketServer } from "ws";

function frame(text) {
  const body = Buffer.from(text);
  const n = body.length;
  let head;
  if (n < 126) head = Buffer.from([0x81, n]);
  else if (n < 65536) head = Buffer.from([0x81, 126, n >> 8, n & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = 0x81;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return [head, body];
}

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });

wss.on("connection", (ws) => {
  const raw = ws._socket;
  let queue = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const out = queue;
    queue = [];
    if (out.length && !raw.destroyed) raw.write(Buffer.concat(out));
  };
  const send = (text) => {
    queue.push(...frame(text));
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (!Array.isArray(msg) || msg.length !== 5) return;
    const [joinRef, ref, topic, event, payload] = msg;
    const jr = JSON.stringify(joinRef);
    const head = `[${jr},${JSON.stringify(ref)},${JSON.stringify(topic)},"phx_reply",`;
    if (event === "blast") {
      send(`${head}{"status":"ok","response":{}}]`);
      const n = Math.min(Number(payload?.n) || 0, 1_000_000);
      const prefix = `[${jr},null,${JSON.stringify(topic)},"msg",{"i":`;
      for (let i = 0; i < n; i++) queue.push(...frame(`${prefix}${i}}]`));
    } else if (event === "phx_join" || event === "phx_leave" || event === "heartbeat") {
      send(`${head}{"status":"ok","response":{}}]`);
    } else {
      send(`${head}{"status":"ok","response":${JSON.stringify(payload ?? {})}}]`);
    }
  });
  ws.on("error", () => {});
});

wss.on("listening", () => process.send({ type: "listening", port: wss.address().port }));
process.on("message", (msg) => {
  if (msg?.cmd === "exit") {
    for (const c of wss.clients) c.terminate();
    wss.close(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));

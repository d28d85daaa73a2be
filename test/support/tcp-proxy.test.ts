import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TcpProxy } from "./tcp-proxy";

/** A plain TCP echo server that remembers what it received and which connections are open. */
async function echoServer() {
  const sockets = new Set<net.Socket>();
  let received = Buffer.alloc(0);
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("data", (d: Buffer) => {
      received = Buffer.concat([received, d]);
      s.write(d);
    });
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    received: () => received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Client {
  socket: net.Socket;
  data: () => Buffer;
  closed: Promise<void>;
  isClosed: () => boolean;
  waitFor: (n: number, ms?: number) => Promise<Buffer>;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  let data = Buffer.alloc(0);
  let closed = false;
  const waiters: Array<() => void> = [];
  socket.on("data", (d: Buffer) => {
    data = Buffer.concat([data, d]);
    for (const w of waiters.splice(0)) w();
  });
  socket.on("error", () => undefined);
  const closedP = new Promise<void>((r) =>
    socket.on("close", () => {
      closed = true;
      r();
    }),
  );
  await new Promise<void>((r) => socket.once("connect", () => r()));
  return {
    socket,
    data: () => data,
    closed: closedP,
    isClosed: () => closed,
    waitFor: (n, ms = 2000) =>
      new Promise<Buffer>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${data.length} of ${n} bytes after ${ms} ms`)), ms);
        const check = () => {
          if (data.length >= n) {
            clearTimeout(t);
            resolve(data);
          } else waiters.push(check);
        };
        check();
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(5);
  }
}

describe("TcpProxy in front of an echo server", () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let proxy: TcpProxy;
  const clients: Client[] = [];
  const open = async () => {
    const c = await connect(proxy.port);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    echo = await echoServer();
    proxy = await TcpProxy.start({ targetPort: echo.port });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await echo.close();
  });

  it("forwards bytes both ways unchanged", async () => {
    const c = await open();
    c.socket.write("hello proxy");
    expect((await c.waitFor(11)).toString()).toBe("hello proxy");
    expect(proxy.list()).toHaveLength(1);
    expect(proxy.list()[0]?.bytes).toEqual({ up: 11, down: 11 });
  });

  it("passes a client's FIN on to the target", async () => {
    const c = await open();
    c.socket.write("x");
    await c.waitFor(1);
    c.socket.end();
    await until(() => echo.sockets.size === 0);
  });

  it("drop destroys both sides of one connection", async () => {
    const a = await open();
    const b = await open();
    a.socket.write("a");
    b.socket.write("b");
    await a.waitFor(1);
    await b.waitFor(1);
    proxy.list()[0]?.drop();
    await a.closed;
    await until(() => echo.sockets.size === 1);
    expect(b.isClosed()).toBe(false);
    b.socket.write("still here");
    expect((await b.waitFor(11)).toString()).toBe("bstill here");
  });

  it("dropAll destroys every connection", async () => {
    const a = await open();
    const b = await open();
    await until(() => echo.sockets.size === 2);
    proxy.dropAll();
    await Promise.all([a.closed, b.closed]);
    await until(() => echo.sockets.size === 0);
    expect(proxy.connections.size).toBe(0);
  });

  it("a black hole keeps both sockets open and discards traffic both ways, with no FIN", async () => {
    const c = await open();
    c.socket.write("before");
    await c.waitFor(6);
    proxy.blackhole();
    c.socket.write("into the void");
    await sleep(150);
    expect(echo.received().toString()).toBe("before");
    expect(c.data().toString()).toBe("before");
    // The target speaking up is discarded too.
    for (const s of echo.sockets) s.write("from the target");
    await sleep(100);
    expect(c.data().toString()).toBe("before");
    expect(c.isClosed()).toBe(false);
    expect(echo.sockets.size).toBe(1);
    // Even the client closing its side is not passed on: the target's connection stays open.
    c.socket.end();
    await sleep(100);
    expect(echo.sockets.size).toBe(1);
  });

  it("a global black hole also swallows connections made later", async () => {
    proxy.blackhole();
    const c = await open();
    c.socket.write("ping");
    await sleep(150);
    expect(c.data().length).toBe(0);
    expect(echo.received().length).toBe(0);
    proxy.heal();
    c.socket.write("pong");
    expect((await c.waitFor(4)).toString()).toBe("pong");
  });

  it("delay adds latency in each direction", async () => {
    proxy.delay(100);
    const c = await open();
    const start = Date.now();
    c.socket.write("slow");
    await c.waitFor(4);
    // 100 ms up and 100 ms down; timers may fire a millisecond early.
    expect(Date.now() - start).toBeGreaterThanOrEqual(195);
  });

  it("delay keeps bytes in order when it changes mid-stream", async () => {
    const c = await open();
    proxy.delay(150);
    c.socket.write("first,");
    await sleep(10);
    proxy.delay(0);
    c.socket.write("second");
    expect((await c.waitFor(12)).toString()).toBe("first,second");
  });

  it("throttle limits the rate", async () => {
    proxy.throttle(20_000);
    const c = await open();
    const start = Date.now();
    c.socket.write(Buffer.alloc(6_000, 1));
    await c.waitFor(6_000, 5000);
    // 6 kB up and 6 kB down at 20 kB/s each: at least ~300 ms even when both overlap.
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
  });

  it("lifting a throttle drains the backlog at once", async () => {
    proxy.throttle(1_000);
    const c = await open();
    c.socket.write(Buffer.alloc(5_000, 2));
    await sleep(100);
    // At 1 kB/s the 10 kB round trip would take ~10 s; unthrottled it is done right away.
    proxy.throttle(0);
    await c.waitFor(5_000, 1000);
  });

  it("cut forwards only the first bytes of the next chunk, then destroys the connection", async () => {
    const c = await open();
    proxy.list()[0]?.cut(3, "up");
    c.socket.write("abcdefgh");
    await c.closed;
    await until(() => echo.sockets.size === 0);
    expect(echo.received().toString()).toBe("abc");
  });

  it("cutAll in the down direction delivers half a reply to the client", async () => {
    const c = await open();
    await until(() => proxy.connections.size === 1);
    proxy.cutAll(2, "down");
    c.socket.write("hello");
    await c.closed;
    expect(c.data().toString()).toBe("he");
  });

  it("refuse closes new connections at once", async () => {
    proxy.refuse();
    const c = await open();
    await c.closed;
    expect(echo.sockets.size).toBe(0);
  });

  it("onConnection lets a test fault only the next connection", async () => {
    const off = proxy.onConnection((conn) => conn.blackhole());
    const a = await open();
    off();
    const b = await open();
    a.socket.write("a");
    b.socket.write("b");
    expect((await b.waitFor(1)).toString()).toBe("b");
    await sleep(50);
    expect(a.data().length).toBe(0);
  });

  it("close frees every connection and stops listening", async () => {
    const a = await open();
    proxy.blackhole();
    await until(() => echo.sockets.size === 1);
    await proxy.close();
    await a.closed;
    await until(() => echo.sockets.size === 0);
    const refused = net.connect({ port: proxy.port, host: "127.0.0.1" });
    const err = await new Promise<NodeJS.ErrnoException>((r) => refused.once("error", r));
    expect(err.code).toBe("ECONNREFUSED");
  });
});

/**
 * The server side of a black hole: a client that vanished without a FIN must not keep its
 * server connection and channels alive (still subscribed, still sent every broadcast) for long
 * after the idle timeout closes it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Socket } from "../../src/node";
import { TcpProxy } from "../support/tcp-proxy";
import { startChaosServer, until, type ChaosServer } from "./harness";

const IDLE_MS = 300;
/** Generous: the close frame cannot be answered, so the server must give up on the handshake soon. */
const GRACE_MS = 2000;

describe("a client that vanished into a black hole", () => {
  let server: ChaosServer | undefined;
  let proxy: TcpProxy | undefined;
  let socket: Socket | undefined;

  afterEach(async () => {
    socket?.disconnect();
    await proxy?.close();
    await server?.close();
    socket = proxy = server = undefined;
  });

  it("has its server connection and channels freed soon after the idle timeout", async () => {
    server = await startChaosServer({ idleTimeoutMs: IDLE_MS });
    proxy = await TcpProxy.start({ targetPort: server.port });
    // A heartbeat slower than the idle timeout would get the client closed; keep it quicker.
    socket = new Socket(`ws://127.0.0.1:${proxy.port}/socket`, { heartbeatIntervalMs: 100 });
    socket.connect();
    const channel = socket.channel("room:vanishing");
    await channel.join();
    expect(server.endpoint.subscribers("room:vanishing")).toBe(1);

    // The client goes away for good: stop it from redialing, and swallow everything in flight.
    proxy.blackhole();
    proxy.refuse();
    const s = server;
    const start = Date.now();
    await until(() => s.endpoint.subscribers("room:vanishing") === 0 && s.endpoint.connectionCount === 0, IDLE_MS + GRACE_MS, "the server to drop the dead connection").catch(
      (e: Error) => {
        throw new Error(
          `${e.message}: ${s.endpoint.connectionCount} connection(s) and ${s.endpoint.subscribers("room:vanishing")} channel(s) still held ${Date.now() - start} ms after the client went silent (idle timeout ${IDLE_MS} ms)`,
        );
      },
    );
    console.log(`dead peer freed by the server ${Date.now() - start} ms after it went silent (idle timeout ${IDLE_MS} ms)`);
  });
});

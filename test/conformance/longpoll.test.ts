/**
 * Conformance, long-poll: every lp-* and p18-lp-* recording replayed against the example app
 * (each on its own server), concurrently.
 */
import { afterAll, describe, expect, test } from "vitest";
import { createExampleApp } from "../../src/server/index";
import type { Endpoint } from "../../src/server/index";
import { decodeV2 } from "../../src/serializer";
import { loadRecording, recordingFiles, type LpRecording } from "./recordings";
import { replayLp, type LiveResponse, type LpExpectations } from "./lp-replay";

const files = recordingFiles().filter((f) => f.startsWith("lp-") || f.startsWith("p18-lp-"));
const servers = new Set<Endpoint>();

afterAll(async () => {
  await Promise.all([...servers].map((s) => s.close()));
});

async function start(): Promise<number> {
  const app = createExampleApp({ logger: false });
  servers.add(app);
  return app.listen({ host: "127.0.0.1", port: 0 });
}

function body(res: LiveResponse): { status?: number; messages?: string[]; token?: string } {
  expect(res.status).toBe(200);
  return JSON.parse(res.rawBody) as { status?: number; messages?: string[]; token?: string };
}

/**
 * Deliberate differences, each explained. 1.7 files superseded by a p18 file follow 1.8; the
 * others are Phoenix bugs or hazards the reference server does not copy (see longpoll.ts).
 */
function expectations(rec: LpRecording): LpExpectations {
  switch (rec.file) {
    case "lp-auth-and-origin.json": {
      // 1.8 (p18-lp-auth-and-origin): X-Phoenix-AuthToken: secret alone opens a session (1.7: 403).
      const p18 = loadRecording("p18-lp-auth-and-origin.json") as LpRecording;
      const want = p18.exchanges[1]?.response;
      return {
        override: {
          1: (res) => {
            const b = body(res);
            expect(b.status).toBe(410);
            expect(typeof b.token).toBe("string");
            expect(want?.body).toContain('"status":410');
          },
        },
      };
    }
    case "lp-v2-binary.json":
      // Phoenix 1.7 bug: a poll carrying a server-to-client binary frame fails with HTTP 500 and
      // loses its messages. We deliver the frame (base64 of the V2 binary push) and the reply.
      return {
        override: {
          9: (res) => {
            const b = body(res);
            expect(b.status).toBe(200);
            const [push, reply] = b.messages ?? [];
            const msg = decodeV2(new Uint8Array(Buffer.from(push ?? "", "base64")));
            expect(msg.event).toBe("binary_push");
            expect([...new Uint8Array(msg.payload as ArrayBuffer)]).toEqual([1, 2, 3, 4, 255]);
            expect(reply).toBe('["1","3","room:lobby","phx_reply",{"response":{},"status":"ok"}]');
          },
        },
      };
    case "lp-v2-expired-session.json":
      // The recording idled 6.5 s; the example app's /short_socket session ends after 1.5 x 2 s.
      return { waits: { 2: 4000 } };
    case "p18-lp-token-header.json":
      // Phoenix 1.8.9 ignored X-Phoenix-Longpoll-Token; 1.8.10+ (and we) read it before the query.
      return {
        override: {
          1: (res) => expect(body(res)).toEqual({ status: 200 }),
          2: (res) => {
            const b = body(res);
            expect(b.status).toBe(200);
            expect(b.messages).toEqual(['["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]']);
          },
          // The session already joined room:lobby through the header, so the second join replaces
          // it: its reply, then phx_close for the first join.
          4: (res) => {
            const b = body(res);
            expect(b.status).toBe(200);
            expect(b.messages?.[0]).toBe('["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]');
          },
        },
      };
    default:
      return {};
  }
}

describe("conformance: long-poll recordings replayed against the example app", () => {
  test("there are long-poll recordings to replay", () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  for (const file of files) {
    const rec = loadRecording(file) as LpRecording;
    test.concurrent(`${file}: ${rec.scenario}`, async () => {
      const port = await start();
      await replayLp(rec, port, expectations(rec));
    }, 30_000);
  }
});

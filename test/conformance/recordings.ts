/**
 * Loading the golden transcripts in ../shared/conformance (recorded from Phoenix 1.7.24 and 1.8.9).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Where the recordings live (override with PHX_CONFORMANCE_DIR). */
export const RECORDINGS_DIR = resolve(process.env.PHX_CONFORMANCE_DIR ?? join(__dirname, "../../../shared/conformance"));

export interface RecordedRequest {
  method: string;
  url: string;
  headers?: Record<string, string | number>;
  body?: string;
}
export interface RecordedHandshake {
  status: number;
  headers: Record<string, string>;
  body?: string;
  client_error?: string;
}
export interface WsFrame {
  conn?: string;
  dir: "out" | "in";
  opcode: "text" | "binary" | "close" | "eof";
  data?: string;
  data_omitted?: boolean;
  length?: number;
  data_prefix?: string;
  close_code?: number;
  close_reason?: string;
}
export interface WsConnection {
  request: RecordedRequest;
  handshake: RecordedHandshake;
}
export interface WsRecording {
  file: string;
  scenario: string;
  transport: "websocket";
  vsn: string | null;
  request?: RecordedRequest;
  handshake?: RecordedHandshake;
  connections?: Record<string, WsConnection>;
  frames: WsFrame[];
  varies?: string[];
  notes?: string;
}
export interface LpExchange {
  request: RecordedRequest;
  response: { status: number; headers: Record<string, string>; body: string };
}
export interface LpRecording {
  file: string;
  scenario: string;
  transport: "longpoll";
  vsn: string | null;
  exchanges: LpExchange[];
  varies?: string[];
  notes?: string;
  waited_ms_without_polling?: number;
}

/** Every recording file name (without directory), sorted. */
export function recordingFiles(): string[] {
  return readdirSync(RECORDINGS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

export function loadRecording(file: string): WsRecording | LpRecording {
  const data = JSON.parse(readFileSync(join(RECORDINGS_DIR, file), "utf8")) as Omit<WsRecording | LpRecording, "file">;
  return { ...data, file } as WsRecording | LpRecording;
}

/** The connections of a WebSocket recording, in recorded order (single-connection files get the name "main"). */
export function wsConnections(rec: WsRecording): Array<[string, WsConnection]> {
  if (rec.connections) return Object.entries(rec.connections);
  if (!rec.request || !rec.handshake) throw new Error(`${rec.file}: neither request/handshake nor connections`);
  return [["main", { request: rec.request, handshake: rec.handshake }]];
}

/**
 * Replaces the values the recordings list as varying (presence `phx_ref` / `phx_ref_prev`) with a
 * placeholder, keeping key order so the rest still compares byte for byte.
 */
export function normalizeVarying(text: string): string {
  return text.replace(/"(phx_ref|phx_ref_prev)":"[^"]*"/g, '"$1":"<varies>"');
}

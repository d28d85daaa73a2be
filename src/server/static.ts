/**
 * A small static file handler (for the demo page served by `phx-channels serve`).
 * @module
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".cjs": "text/javascript; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves files under `dir` (`/` → `index.html`). Returns false when nothing matched, so the
 * caller can answer 404 itself. Paths escaping `dir` never match.
 */
export async function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const root = resolve(dir);
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  if (rel.includes("\0")) return false;
  let file = resolve(join(root, rel));
  if (file !== root && !file.startsWith(root + sep)) return false;
  try {
    let info = await stat(file);
    if (info.isDirectory()) {
      file = join(file, "index.html");
      info = await stat(file);
    }
    if (!info.isFile()) return false;
    sendFile(req, res, file, info.size);
    return true;
  } catch {
    return false;
  }
}

/**
 * Answers `req` with the file at `file` (already resolved and known to be a file of `size` bytes):
 * its content type by extension, no caching (the demo is for development, so a rebuilt bundle
 * shows at once), and only the headers for HEAD.
 */
export function sendFile(req: IncomingMessage, res: ServerResponse, file: string, size: number): void {
  res.writeHead(200, {
    "content-type": TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    "content-length": size,
    "cache-control": "no-cache",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

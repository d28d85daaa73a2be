/**
 * A deliberately small static file handler for `phx-channels serve`: the demo pages at `/` and
 * the built bundles at `/dist/`. GET and HEAD only, no directory listings, and no path can
 * escape its root (`..`, encoded slashes and NUL bytes are refused).
 * @module
 */
import { createReadStream, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** One URL prefix served from one directory. */
export interface StaticMount {
  /** URL prefix ending in "/", e.g. "/" or "/dist/". */
  prefix: string;
  /** Absolute directory the prefix maps to. */
  dir: string;
}

/**
 * Maps a URL path under `mount` to a file path inside `mount.dir`, or null when it is not
 * under the prefix or tries to leave the directory.
 */
export function resolveStaticPath(mount: StaticMount, urlPath: string): string | null {
  if (!urlPath.startsWith(mount.prefix)) return null;
  let rest: string;
  try {
    rest = decodeURIComponent(urlPath.slice(mount.prefix.length));
  } catch {
    return null;
  }
  if (rest.includes("\0") || rest.includes("\\")) return null;
  if (rest === "" || rest.endsWith("/")) rest += "index.html";
  const root = path.resolve(mount.dir);
  const file = path.resolve(root, rest);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  return file;
}

async function fileStats(file: string): Promise<Stats | null> {
  try {
    const s = await stat(file);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

/**
 * Serves `req` from the first mount whose prefix matches. Resolves true when it answered
 * (file, 404 or 405), false when no mount claims the path so the caller can try something else.
 */
export async function serveStatic(mounts: readonly StaticMount[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const urlPath = new URL(req.url ?? "/", "http://localhost").pathname;
  // Longest prefix first, so "/dist/" wins over "/".
  const ordered = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  const mount = ordered.find((m) => urlPath.startsWith(m.prefix));
  if (!mount) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("method not allowed\n");
    return true;
  }
  const file = resolveStaticPath(mount, urlPath);
  const stats = file ? await fileStats(file) : null;
  if (!file || !stats) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`not found: ${urlPath}\n`);
    return true;
  }
  res.writeHead(200, {
    "content-type": MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream",
    "content-length": String(stats.size),
    // The demo is for development: always serve the freshly built bundle.
    "cache-control": "no-cache",
  });
  if (req.method === "HEAD") {
    res.end();
    return true;
  }
  const stream = createReadStream(file);
  stream.on("error", () => res.destroy());
  stream.pipe(res);
  return true;
}

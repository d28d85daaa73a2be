/**
 * A deliberately small static file handler for `phx-channels serve`: the demo pages at `/` and
 * the built bundles at `/dist/`. GET and HEAD only, no directory listings, and no path can
 * escape its root (`..`, encoded slashes and NUL bytes are refused).
 * @module
 */
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { sendFile } from "../server/static";

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
  sendFile(req, res, file, stats.size);
  return true;
}

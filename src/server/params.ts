/**
 * Query-string decoding the way Plug does it, so `connect` sees the same params as a Phoenix
 * socket: `a[b]=c` nests, `a[]=1&a[]=2` makes a list, the last plain value wins.
 * @module
 */

type Params = Record<string, unknown>;

function isParams(v: unknown): v is Params {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function setKey(target: Params, key: string, value: unknown): void {
  // defineProperty keeps "__proto__" / "constructor" plain data keys (no prototype pollution)
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function assign(target: Params, path: string[], value: string): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    setKey(target, head, value);
    return;
  }
  if (rest[0] === "") {
    const existing = Object.prototype.hasOwnProperty.call(target, head) ? target[head] : undefined;
    const list = Array.isArray(existing) ? (existing as unknown[]) : [];
    if (rest.length === 1) list.push(value);
    else {
      const obj: Params = Object.create(null) as Params;
      assign(obj, rest.slice(1), value);
      list.push(Object.assign({}, obj));
    }
    setKey(target, head, list);
    return;
  }
  const existing = Object.prototype.hasOwnProperty.call(target, head) ? target[head] : undefined;
  const child: Params = isParams(existing) ? existing : {};
  assign(child, rest, value);
  setKey(target, head, child);
}

/** Splits `a[b][c]` into `["a", "b", "c"]`; a malformed key stays one plain key. */
function keyPath(key: string): string[] {
  const open = key.indexOf("[");
  if (open <= 0 || !key.endsWith("]")) return [key];
  const path = [key.slice(0, open)];
  const rest = key.slice(open);
  const re = /\[([^[\]]*)\]/g;
  let consumed = 0;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    if (m.index !== consumed) return [key];
    path.push(m[1] as string);
    consumed = m.index + m[0].length;
  }
  return consumed === rest.length ? path : [key];
}

/**
 * Decodes URL search params into nested params, leaving out the names in `omit`.
 * @example
 * ```ts
 * decodeParams(new URLSearchParams("user[name]=ann&tags[]=a&tags[]=b")) // {user: {name: "ann"}, tags: ["a", "b"]}
 * ```
 */
export function decodeParams(search: URLSearchParams, omit: readonly string[] = []): Params {
  const out: Params = {};
  for (const [key, value] of search) {
    if (omit.includes(key)) continue;
    assign(out, keyPath(key), value);
  }
  return out;
}

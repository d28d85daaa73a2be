#!/usr/bin/env node
// Where the bytes of the minified IIFE come from: each character of dist/phx-channels.min.js is
// attributed, through its source map, to the source file and the function, method or field it was
// minified from. Use it to direct size work; the gzip figures per file are of that file's pieces
// compressed on their own, so they add up to more than the bundle's real gzip size.
//
//   node scripts/size-attribution.mjs [--members] [--top N] [file.min.js]
//
// Without --members: one line per source file. With it: one line per top-level function, class
// member or constant (innermost named declaration), largest first.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { TraceMap, decodedMappings } from "@jridgewell/trace-mapping";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { members: { type: "boolean" }, top: { type: "string" } },
});
const file = resolve(positionals[0] ?? join(root, "dist/phx-channels.min.js"));
const code = readFileSync(file, "utf8");
const map = new TraceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")), file);
const lines = code.split("\n");
const sourcePath = (source) => resolve(dirname(file), source);
const shortName = (path) => path.replace(`${root}/`, "");

/** Named declarations of a source file with their line ranges, innermost last (for lookup). */
const declarationsBySource = new Map();
function declarations(path) {
  let found = declarationsBySource.get(path);
  if (found) return found;
  const text = readFileSync(path, "utf8");
  const sourceFile = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const lineOf = (pos) => sourceFile.getLineAndCharacterOfPosition(pos).line;
  found = [];
  const visit = (node, owner) => {
    let name;
    if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isClassElement(node)) {
      name = node.name ? node.name.getText(sourceFile) : ts.isConstructorDeclaration(node) ? "constructor" : undefined;
    } else if (ts.isVariableStatement(node)) {
      name = node.declarationList.declarations.map((d) => d.name.getText(sourceFile)).join(", ");
    }
    if (name) {
      const qualified = owner ? `${owner}.${name}` : name;
      found.push({ name: qualified, start: lineOf(node.getStart(sourceFile)), end: lineOf(node.end), depth: qualified.split(".").length });
      if (ts.isClassDeclaration(node)) node.members.forEach((member) => visit(member, name));
      return;
    }
    ts.forEachChild(node, (child) => visit(child, owner));
  };
  visit(sourceFile, "");
  declarationsBySource.set(path, found);
  return found;
}

function owner(path, line) {
  let best;
  for (const d of declarations(path)) {
    if (d.start <= line && line <= d.end && (!best || d.depth > best.depth)) best = d;
  }
  return best ? best.name : "(module scope)";
}

const pieces = new Map();
const mappings = decodedMappings(map);
for (let l = 0; l < mappings.length; l++) {
  const segments = mappings[l];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.length < 4) continue;
    const end = i + 1 < segments.length ? segments[i + 1][0] : lines[l].length;
    const path = sourcePath(map.resolvedSources ? map.resolvedSources[segment[1]] : map.sources[segment[1]]);
    const key = values.members ? `${shortName(path)}  ${owner(path, segment[2])}` : shortName(path);
    pieces.set(key, (pieces.get(key) ?? "") + lines[l].slice(segment[0], end));
  }
}

const rows = [...pieces].map(([key, text]) => ({ key, bytes: text.length, gz: gzipSync(text, { level: 9 }).length }));
rows.sort((a, b) => b.bytes - a.bytes);
const top = values.top ? Number(values.top) : values.members ? 40 : rows.length;
console.log(`${shortName(file)}: ${code.length} B minified, ${gzipSync(code, { level: 9 }).length} B gzip`);
console.log(`${"min B".padStart(7)} ${"gz B*".padStart(6)}  ${values.members ? "source member" : "source file"}`);
for (const row of rows.slice(0, top)) console.log(`${String(row.bytes).padStart(7)} ${String(row.gz).padStart(6)}  ${row.key}`);
console.log("* each piece compressed on its own");

// Builds every artifact the package publishes. Run with `npm run build` (`rollup -c`).
//
//   dist/index.{mjs,cjs,d.ts,d.cts}  universal client (browsers, workers, React Native, Node >= 22)
//   dist/node.{mjs,cjs,d.ts,d.cts}   same exports, `ws` (via isomorphic-ws) as the default WebSocket
//   dist/phx-channels.min.js         minified IIFE for <script> tags, global `PhxChannels`
//   dist/server.{mjs,d.ts}           reference server, Node only, ESM only
//   dist/cli.mjs                     the `phx-channels` bin
//
// Each entry is its own build so no shared chunk files appear: `exports` maps one file per branch,
// and a dual ESM/CJS package with shared chunks would load two copies of the client classes.
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import nodeResolve from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";
import { defineConfig } from "rollup";
import { dts } from "rollup-plugin-dts";
import esbuild, { minify as esbuildMinify } from "rollup-plugin-esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const dist = join(root, "dist");
const src = "src";

const CLIENT_TARGET = "es2020";
const NODE_TARGET = "node18";

/** Packages that must never reach the browser bundle: they are Node-only WebSocket servers/shims. */
const NODE_ONLY = ["ws", "isomorphic-ws"];

const isNodeBuiltin = (id) => id.startsWith("node:");
const isDependency = (id) =>
  Object.keys(pkg.dependencies ?? {}).some((dep) => id === dep || id.startsWith(`${dep}/`));

/** Empties dist/ first so a renamed or deleted entry cannot leave a stale file that gets published. */
function cleanDist() {
  let done = false;
  return {
    name: "clean-dist",
    buildStart() {
      if (done) return;
      done = true;
      rmSync(dist, { recursive: true, force: true });
    },
  };
}

/**
 * Fails a browser-path build (the universal entry and the IIFE) if a Node-only module is imported,
 * directly or through a dependency. `selfContained` builds (the IIFE) must not call require() either.
 */
function forbidNodeOnly({ selfContained }) {
  const banned = new RegExp(`[\\\\/]node_modules[\\\\/](${NODE_ONLY.join("|")})[\\\\/]`);
  return {
    name: "forbid-node-only",
    resolveId(id, importer) {
      if (NODE_ONLY.includes(id) || isNodeBuiltin(id)) {
        this.error(`"${id}" must not be in the browser bundle (imported from ${importer ?? "the entry"})`);
      }
      return null;
    },
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== "chunk") continue;
        const leaked = Object.keys(chunk.modules).filter((id) => banned.test(id));
        if (leaked.length > 0) this.error(`Node-only code in the browser bundle: ${leaked.join(", ")}`);
        // Externals never reach resolveId above (the universal entry keeps dependencies external).
        const nodeImports = chunk.imports.filter((id) => NODE_ONLY.includes(id) || isNodeBuiltin(id));
        if (nodeImports.length > 0) this.error(`the browser entry imports Node-only ${nodeImports.join(", ")}`);
        if (selfContained && /\brequire\s*\(\s*["'`]/.test(chunk.code)) this.error("the browser bundle calls require()");
      }
    },
  };
}

/** Gives the CLI exactly one shebang and makes it executable, so `npm link`/`npx` can run it. */
function cliBin() {
  return {
    name: "cli-bin",
    transform(code, id) {
      if (!id.endsWith(join("src", "cli", "index.ts"))) return null;
      // The shebang is re-added as the output banner; left in the source it would land mid-file.
      return { code: code.replace(/^#![^\n]*\n/, "\n"), map: null };
    },
    writeBundle(options) {
      if (options.file) chmodSync(options.file, 0o755);
    },
  };
}

const ts = (target) => esbuild({ target, sourceMap: true, tsconfig: join(root, "tsconfig.json") });
const resolveTs = () => nodeResolve({ extensions: [".ts", ".mjs", ".js"], preferBuiltins: true });

/** ESM + CJS for a client entry; dependencies stay external so Node and bundlers dedupe them. */
function clientBuild(entry, name, plugins = []) {
  return {
    input: `${src}/${entry}.ts`,
    external: (id) => isDependency(id) || isNodeBuiltin(id),
    plugins: [...plugins, ts(CLIENT_TARGET)],
    treeshake: { moduleSideEffects: false },
    output: [
      { file: `dist/${name}.mjs`, format: "es", sourcemap: true },
      { file: `dist/${name}.cjs`, format: "cjs", sourcemap: true, exports: "named", interop: "auto" },
    ],
  };
}

/**
 * Declarations that mention `Symbol.dispose` (`using channel = ...`) need the esnext.disposable lib.
 * Our tsconfig has it through lib ES2022 + @types/node; a consumer with `lib: ["ES2022", "DOM"]`
 * and `skipLibCheck: false` would get "Property 'dispose' does not exist on SymbolConstructor".
 * A lib reference in the declaration file brings that lib in for them (TypeScript >= 5.2).
 */
function disposableLibReference() {
  return {
    name: "disposable-lib-reference",
    renderChunk(code) {
      const libs = [];
      if (/\bSymbol\.(dispose|asyncDispose)\b/.test(code)) libs.push("esnext.disposable");
      if (libs.length === 0) return null;
      return { code: `${libs.map((lib) => `/// <reference lib="${lib}" />`).join("\n")}\n${code}`, map: null };
    },
  };
}

function typesBuild(entry, name, formats) {
  return {
    input: `${src}/${entry}.ts`,
    external: (id) => isDependency(id) || isNodeBuiltin(id),
    plugins: [dts({ tsconfig: join(root, "tsconfig.json") }), disposableLibReference()],
    output: formats.map((ext) => ({ file: `dist/${name}.${ext}`, format: "es" })),
  };
}

// PHX_BUILD=js (used by test/global-setup.ts) rebuilds only the JavaScript, in place: the tests
// need fresh bundles, not declarations, and the declaration builds are most of the build time.
// It also minifies the IIFE with esbuild (~0.1 s) instead of terser (seconds; ~2% smaller output):
// `npm run build` — what CI tests, size-checks and publishes — always uses terser.
const jsOnly = process.env.PHX_BUILD === "js";

/**
 * Terser property mangling for our own `_`-prefixed members only (private, or `@internal`: none is
 * public API, phoenix.js-compatible, or read by name from outside the bundle). Mangled names keep a
 * leading `_` (`_a`, `_b`, ...) so they stay out of the way of public and subclass field names.
 */
const privateNames = {
  regex: /^_[a-zA-Z]/,
  nth_identifier: {
    // Self-contained: @rollup/plugin-terser re-creates functions from source in its workers.
    get(n) {
      const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_0123456789";
      let name = "";
      let first = 54;
      do {
        name += chars[n % first];
        n = Math.floor(n / first);
        first = 64;
      } while (n > 0);
      return `_${name}`;
    },
  },
};

const iife = {
  input: `${src}/index.ts`,
  plugins: [forbidNodeOnly({ selfContained: true }), resolveTs(), ts(CLIENT_TARGET)],
  treeshake: { moduleSideEffects: false },
  output: {
    file: "dist/phx-channels.min.js",
    format: "iife",
    name: "PhxChannels",
    sourcemap: true,
    plugins: [
      jsOnly
        ? esbuildMinify({ target: CLIENT_TARGET, sourceMap: true })
        : terser({ ecma: 2020, compress: { passes: 2, hoist_funs: true }, mangle: { properties: privateNames }, format: { comments: false } }),
    ],
  },
};

const server = {
  input: `${src}/server/index.ts`,
  external: (id) => isDependency(id) || isNodeBuiltin(id),
  plugins: [ts(NODE_TARGET)],
  output: { file: "dist/server.mjs", format: "es", sourcemap: true },
};

const cli = {
  input: `${src}/cli/index.ts`,
  external: (id) => isDependency(id) || isNodeBuiltin(id),
  plugins: [cliBin(), ts(NODE_TARGET)],
  output: { file: "dist/cli.mjs", format: "es", sourcemap: true, banner: "#!/usr/bin/env node" },
};

const javascript = [
  clientBuild("index", "index", [forbidNodeOnly({ selfContained: false })]),
  clientBuild("node", "node"),
  iife,
  server,
  cli,
];
const types = [
  typesBuild("index", "index", ["d.ts", "d.cts"]),
  typesBuild("node", "node", ["d.ts", "d.cts"]),
  typesBuild("server/index", "server", ["d.ts"]),
];

if (!jsOnly) javascript[0].plugins.unshift(cleanDist());

export default defineConfig(jsOnly ? javascript : [...javascript, ...types]);

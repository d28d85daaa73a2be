// Rollup plugins shared by rollup.config.mjs and the size-budget script.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/**
 * eventemitter3's `import` condition is a thin ESM wrapper around CommonJS, which rollup cannot
 * bundle without the commonjs plugin. The package ships a real ES module build; resolve to that.
 */
export function eventemitter3Esm() {
  const esmPath = join(dirname(require.resolve("eventemitter3/package.json")), "dist/eventemitter3.esm.js");
  return {
    name: "eventemitter3-esm",
    resolveId(id) {
      return id === "eventemitter3" ? esmPath : null;
    },
  };
}

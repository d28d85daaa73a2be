import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**", "test/bench/**"],
    testTimeout: 20000,
    hookTimeout: 30000,
    pool: "forks",
    // Rebuilds dist/ when it is missing or older than src/ (dist smoke and e2e tests load it).
    globalSetup: ["test/global-setup.ts"],
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      exclude: ["src/server/**", "src/cli/**"],
      reporter: ["text-summary", "json-summary"],
      // The client must stay at or above 90% line coverage (issue 2); below it, the run fails.
      thresholds: { lines: 90 },
    },
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.mjs"],
    // each render runs kubectl kustomize (well under a second each, slower on a busy machine)
    testTimeout: 60_000,
  },
});

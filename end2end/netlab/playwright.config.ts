import { defineConfig } from "@playwright/test";

// The network lab's scenarios (run.sh builds the lab and sets NETLAB_*; see README).
export default defineConfig({
  testDir: ".",
  testMatch: /.*\.spec\.ts/,
  // Generous: a scenario opens up to four Chromiums on 2 cores shared with the other labs.
  timeout: 420_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: process.env.NETLAB_DIR ? `${process.env.NETLAB_DIR}/test-results` : "test-results",
});

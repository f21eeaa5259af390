import { defineConfig } from "@playwright/test";
import { readFileSync } from "node:fs";
import path from "node:path";

// Shared with the browser benchmarks and tools (see the file's "about").
const chromiumFlags = JSON.parse(readFileSync(path.join(__dirname, "chromium-flags.json"), "utf8"));

// The server the tests run against: the debug build made by `cargo leptos build` (or the
// binary, site and data places in ONAIR_E2E_BIN / _SITE / _DATA; see tests/servers.ts).
export const e2ePort = Number(process.env.ONAIR_E2E_PORT ?? 9191);
export const baseURL = `http://127.0.0.1:${e2ePort}`;
const site = process.env.ONAIR_E2E_SITE ?? "../target/site";
const data = process.env.ONAIR_E2E_DATA ?? "../target";
export const adminPassword = "e2e-admin-password";

export default defineConfig({
  testDir: "./tests",
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download is not possible here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: chromiumFlags.args,
    },
  },
  projects: [{ name: "chromium" }],
  webServer: {
    command: `${process.env.ONAIR_E2E_BIN ?? "../target/debug/onair"} --addr 127.0.0.1:${e2ePort} --site-root ${site} --ice-server none --config ../Leptos.toml --data-dir ${data}/e2e-data`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { ONAIR_ADMIN_PASSWORD: adminPassword, RUST_LOG: "onair=info,warn" },
    stdout: "pipe",
    stderr: "pipe",
  },
});

// Servers a test starts of its own (to kill and restart them, or with other flags), placed by
// the same environment as the suite's main server, so two checkouts can run side by side:
// ONAIR_E2E_BIN (binary), ONAIR_E2E_SITE (site root), ONAIR_E2E_DATA (where data dirs go),
// ONAIR_E2E_PORT (the main server's port; a test's own servers take `port(offset)`).
import { expect } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { adminPassword, e2ePort } from "../playwright.config";

export const serverBin = process.env.ONAIR_E2E_BIN ?? "../target/debug/onair";
export const siteRoot = process.env.ONAIR_E2E_SITE ?? "../target/site";
export const dataRoot = process.env.ONAIR_E2E_DATA ?? "../target";

/** The port `offset` above the main server's. */
export const port = (offset: number) => e2ePort + offset;

/** Starts a server on 127.0.0.1:`port` with its own data directory and extra flags. */
export function startServer(port: number, extraArgs: string[], dataDir: string): ChildProcess {
  const args = ["--addr", `127.0.0.1:${port}`, "--site-root", siteRoot, "--ice-server", "none",
    "--config", "../Leptos.toml", "--data-dir", path.join(dataRoot, dataDir), ...extraArgs];
  return spawn(serverBin, args, { env: { ...process.env, ONAIR_ADMIN_PASSWORD: adminPassword, RUST_LOG: "warn" }, stdio: "inherit" });
}

export async function waitHealthy(base: string) {
  await expect.poll(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status ?? 0, { timeout: 15_000 }).toBe(200);
}

export async function stop(server: ChildProcess) {
  if (server.exitCode !== null) return;
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
}

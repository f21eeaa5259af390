import { test, expect } from "@playwright/test";
import { expectPlaying, framesDecoded, goLive, hydrated, newPage, openViewers, signIn } from "./helpers";
import { port as ownPort, startServer, stop, waitHealthy } from "./servers";

test("reloading the studio mid-live brings viewers back to live without a reload", async ({ browser }) => {
  const admin = await newPage(browser);
  await signIn(admin.page);
  await goLive(admin.page);
  const viewers = await openViewers(browser, 2);
  for (const v of viewers) await expectPlaying(v.page);

  await admin.page.reload();
  await hydrated(admin.page);
  // The studio goes back on air by itself, and viewers follow.
  await expect(admin.page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "live");
  for (const v of viewers) {
    await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "live");
    await expectPlaying(v.page);
  }
  await expect(admin.page.getByTestId("viewer-row")).toHaveCount(2);
  // Ending the live on purpose still sends viewers offline, and a reload then stays off air.
  await admin.page.getByRole("button", { name: "End live" }).click();
  for (const v of viewers) await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "offline");
  await admin.page.reload();
  await hydrated(admin.page);
  await expect(admin.page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "off");

  for (const c of [...viewers, admin]) await c.context.close();
});

// A server of this test's own, so it can be killed and started again.
const port = ownPort(1);
const base = `http://127.0.0.1:${port}`;
const startRestartable = () => startServer(port, [], "e2e-restart-data");

test("killing and restarting the server does not interrupt the video", async ({ browser }) => {
  let server = startRestartable();
  try {
    await waitHealthy(base);
    const admin = await newPage(browser);
    await signIn(admin.page, base);
    await goLive(admin.page);
    const viewers = await openViewers(browser, 2, base);
    for (const v of viewers) await expectPlaying(v.page);
    const connections = await Promise.all(viewers.map((v) => v.page.evaluate(() => (window as any).__onairPeers.length)));

    // The server dies: signaling is gone, the media (peer to peer) is not.
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    const during = await Promise.all(viewers.map((v) => framesDecoded(v.page)));
    await admin.page.waitForTimeout(1500);
    for (const [i, v] of viewers.entries()) expect(await framesDecoded(v.page)).toBeGreaterThan(during[i] + 10);

    server = startRestartable();
    await waitHealthy(base);
    const restarted = Date.now();
    // Within 5 s the studio is live again and shows both viewers, on the same connections.
    await expect(admin.page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "live", { timeout: 5_000 });
    await expect(admin.page.getByTestId("viewer-row")).toHaveCount(2, { timeout: 5_000 });
    for (let i = 0; i < 2; i++) {
      await expect(admin.page.getByTestId("viewer-row").nth(i)).toHaveAttribute("data-state", "connected", { timeout: 5_000 });
    }
    await expect(admin.page.getByTestId("viewer-count")).toHaveText("2", { timeout: Math.max(1, 5_000 - (Date.now() - restarted)) + 2_000 });
    for (const [i, v] of viewers.entries()) {
      await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "live");
      await expectPlaying(v.page);
      expect(await v.page.evaluate(() => (window as any).__onairPeers.length)).toBe(connections[i]);
    }
    for (const c of [...viewers, admin]) await c.context.close();
  } finally {
    server.kill("SIGKILL");
  }
});

import { test, expect, type Browser, type Page } from "@playwright/test";
import { expectPlaying, framesDecoded, goLive, newPage, openViewers, signIn, type Client } from "./helpers";
import { port as ownPort, startServer, stop, waitHealthy } from "./servers";

/** The page's connected peer connections to the relay: a viewer makes the offer only for WHEP. */
async function relayConnections(page: Page): Promise<number> {
  return page.evaluate(() =>
    ((window as any).__onairPeers as RTCPeerConnection[]).filter(
      (pc) => pc.connectionState === "connected" && pc.localDescription?.type === "offer",
    ).length,
  );
}

/** The longest stretch, in ms, during which the page's decoded frames did not rise, sampled every 100 ms. */
async function watchGaps(page: Page, durationMs: number): Promise<number> {
  return page.evaluate(async (duration) => {
    const video = document.querySelector("[data-testid='player']") as HTMLVideoElement;
    let longest = 0;
    let last = performance.now();
    // requestVideoFrameCallback fires for each frame painted, whichever connection it came from.
    await new Promise<void>((resolve) => {
      const start = performance.now();
      const onFrame = () => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
        if (now - start < duration) video.requestVideoFrameCallback(onFrame);
        else resolve();
      };
      video.requestVideoFrameCallback(onFrame);
    });
    return Math.max(longest, performance.now() - last);
  }, durationMs);
}

/** Once `base` answers, a studio (added to `clients`) that is live through the relay. */
async function studioLiveOnRelay(browser: Browser, base: string, clients: Client[]): Promise<Client> {
  await waitHealthy(base);
  const admin = await newPage(browser);
  clients.push(admin);
  await signIn(admin.page, base);
  await goLive(admin.page);
  await expect(admin.page.getByTestId("media-path")).toHaveAttribute("data-path", "relay");
  return admin;
}

test("with --relay on, the studio uploads once and three viewers play from the relay", async ({ browser }) => {
  const port = ownPort(2);
  const base = `http://127.0.0.1:${port}`;
  const server = startServer(port, ["--relay", "on"], "e2e-relay-on");
  const clients: Client[] = [];
  try {
    const admin = await studioLiveOnRelay(browser, base, clients);
    // The uplink estimate means nothing when the relay sends to every viewer.
    await expect(admin.page.getByTestId("capacity")).toContainText("the relay serves every viewer");
    const viewers = await openViewers(browser, 3, base);
    clients.push(...viewers);
    for (const v of viewers) {
      await expectPlaying(v.page);
      expect(await relayConnections(v.page)).toBe(1);
    }
    // One upload from the studio, whatever the audience.
    const uploads = await admin.page.evaluate(
      () => ((window as any).__onairPeers as RTCPeerConnection[]).filter((pc) => pc.connectionState === "connected").length,
    );
    expect(uploads).toBe(1);
    const rows = admin.page.getByTestId("viewer-row");
    await expect(rows).toHaveCount(3);
    for (let i = 0; i < 3; i++) await expect(rows.nth(i)).toHaveAttribute("data-path", "relay");

    // Remove cuts that viewer's relay session; the others keep playing.
    await rows.nth(0).getByRole("button", { name: /Remove/ }).click();
    await expect.poll(async () => {
      let n = 0;
      for (const v of viewers) if ((await v.page.getByTestId("stream-status").getAttribute("data-state")) === "removed") n++;
      return n;
    }).toBe(1);
    for (const v of viewers) {
      const state = await v.page.getByTestId("stream-status").getAttribute("data-state");
      if (state === "removed") {
        await expect.poll(() => relayConnections(v.page)).toBe(0);
      } else {
        await expectPlaying(v.page);
      }
    }
    await expect(rows).toHaveCount(2);
  } finally {
    for (const c of clients) await c.context.close();
    await stop(server);
  }
});

test("a viewer the relay turns away says so, tries again after its Retry-After, and plays", async ({ browser }) => {
  const port = ownPort(7);
  const base = `http://127.0.0.1:${port}`;
  const server = startServer(port, ["--relay", "on"], "e2e-relay-refused");
  const clients: Client[] = [];
  try {
    await studioLiveOnRelay(browser, base, clients);

    // The relay refuses this viewer's first two offers as an overloaded relay does.
    const viewer = await newPage(browser);
    clients.push(viewer);
    const posts: number[] = [];
    await viewer.page.route(
      (url) => url.pathname === "/whep",
      async (route) => {
        if (route.request().method() !== "POST") return route.continue();
        posts.push(Date.now());
        if (posts.length > 2) return route.continue();
        await route.fulfill({
          status: 503,
          headers: { "Retry-After": "1", "Content-Type": "text/plain; charset=utf-8" },
          body: "the relay is at capacity right now; try again in a moment",
        });
      },
    );
    await viewer.page.goto(`${base}/watch`);
    await expect(viewer.page.getByTestId("stream-status")).toHaveAttribute("data-state", "full");
    await expectPlaying(viewer.page);
    expect(posts.length).toBe(3);
    // At least the Retry-After between attempts, and twice as long after the second refusal.
    expect(posts[1] - posts[0]).toBeGreaterThanOrEqual(1000);
    expect(posts[2] - posts[1]).toBeGreaterThanOrEqual(2000);
    expect(await relayConnections(viewer.page)).toBe(1);
  } finally {
    for (const c of clients) await c.context.close();
    await stop(server);
  }
});

test("with --relay auto, the third viewer moves everyone to the relay without a gap", async ({ browser }) => {
  const port = ownPort(3);
  const base = `http://127.0.0.1:${port}`;
  const server = startServer(port, ["--relay", "auto", "--mesh-max-viewers", "2"], "e2e-relay-auto");
  const clients: Client[] = [];
  try {
    await waitHealthy(base);
    const admin = await newPage(browser);
    clients.push(admin);
    await signIn(admin.page, base);
    await goLive(admin.page);
    await expect(admin.page.getByTestId("media-path")).toHaveAttribute("data-path", "p2p");
    const early = await openViewers(browser, 2, base);
    clients.push(...early);
    for (const v of early) await expectPlaying(v.page);
    // Watch the first two for gaps while the third arrives and the live moves.
    const gaps = early.map((v) => watchGaps(v.page, 8_000));
    // On a busy machine the studio's uplink estimate may fill first and move the live at two
    // viewers (the other rule of `auto`); the move must be gapless either way.
    const movedEarly = (await admin.page.getByTestId("media-path").getAttribute("data-path")) === "relay";
    if (movedEarly) console.log("the studio's uplink estimate moved the live at two viewers");
    else for (const v of early) expect(await relayConnections(v.page)).toBe(0);
    const [third] = await openViewers(browser, 1, base);
    clients.push(third);
    await expect(admin.page.getByTestId("media-path")).toHaveAttribute("data-path", "relay");
    if (!movedEarly) await expect(admin.page.getByTestId("media-path")).toContainText("--mesh-max-viewers");
    const longest = await Promise.all(gaps);
    console.log(`longest gap while moving to the relay: ${longest.map((g) => g.toFixed(0)).join(", ")} ms`);
    // The bound, on the build users get. The debug build (unoptimized relay, a 7 MB
    // wasm in four pages on two cores) paused 0.2–1.5 s here, ~1 run in 3 above a second, on
    // the relay's stream after the swap, until the relay served each due session until its
    // frames were sent (engine.rs, run_timeouts): since then 0.2–0.87 s in 15 runs by hand,
    // but 1.01–1.12 s in two clean-clone CI runs on the same machine.
    // Its bound keeps a margin over those.
    const maxGap = process.env.ONAIR_E2E_RELEASE ? 1_000 : 1_500;
    for (const g of longest) expect(g).toBeLessThan(maxGap);
    for (const v of [...early, third]) {
      await expect.poll(() => relayConnections(v.page)).toBe(1);
      await expectPlaying(v.page);
    }
    // Each moved viewer ends up with the relay's connection only.
    for (const v of early) {
      await expect
        .poll(() => v.page.evaluate(() => ((window as any).__onairPeers as RTCPeerConnection[]).filter((pc) => pc.connectionState === "connected").length))
        .toBe(1);
    }
    const rows = admin.page.getByTestId("viewer-row");
    await expect(rows).toHaveCount(3);
    for (let i = 0; i < 3; i++) await expect(rows.nth(i)).toHaveAttribute("data-path", "relay");
    const first = await framesDecoded(third.page);
    await expect.poll(() => framesDecoded(third.page)).toBeGreaterThan(first);
  } finally {
    for (const c of clients) await c.context.close();
    await stop(server);
  }
});

test("after a server restart mid-live the studio republishes and viewers replay by themselves", async ({ browser }) => {
  const port = ownPort(4);
  const base = `http://127.0.0.1:${port}`;
  const args = ["--relay", "on", "--media-addr", `127.0.0.1:${port}`];
  let server = startServer(port, args, "e2e-relay-restart");
  const clients: Client[] = [];
  try {
    await waitHealthy(base);
    const admin = await newPage(browser);
    clients.push(admin);
    await signIn(admin.page, base);
    await goLive(admin.page);
    const viewers = await openViewers(browser, 2, base);
    clients.push(...viewers);
    for (const v of viewers) await expectPlaying(v.page);

    // The relay dies with the server: pictures stop until the studio publishes again and
    // each viewer plays again; nobody reloads anything.
    const gaps = viewers.map((v) => watchGaps(v.page, 15_000));
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    server = startServer(port, args, "e2e-relay-restart");
    await waitHealthy(base);
    const longest = await Promise.all(gaps);
    console.log(`pause in the pictures across a server restart: ${longest.map((g) => g.toFixed(0)).join(", ")} ms`);
    for (const v of viewers) {
      await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "live");
      await expectPlaying(v.page);
    }
    for (const g of longest) expect(g).toBeLessThan(15_000);
    await expect(admin.page.getByTestId("viewer-row")).toHaveCount(2);
  } finally {
    for (const c of clients) await c.context.close();
    await stop(server);
  }
});

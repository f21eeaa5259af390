import { test, expect, chromium } from "@playwright/test";
import { expectPlaying, goLive, hydrated, newPage, openViewers, signIn } from "./helpers";

test("a wrong password is refused with a message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toHaveText("Wrong username or password. Try again.");
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login$/);
});

test("the streamer goes live to three viewers, ends, and goes live again", async ({ browser }) => {
  // Viewers who arrive before the stream wait, offline.
  const viewers = await openViewers(browser, 3);
  for (const v of viewers) {
    await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "offline");
    await expect(v.page.getByTestId("stream-status")).toContainText("Offline");
  }

  const admin = await newPage(browser);
  await signIn(admin.page);
  await expect(admin.page.getByTestId("viewer-count")).toHaveText("0");
  await admin.page.getByRole("button", { name: "Go live" }).click();
  await expect(admin.page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "live");
  await expectPlaying(admin.page, "preview");

  for (const v of viewers) {
    await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "live");
    await expectPlaying(v.page);
    await expect(v.page.getByTestId("watching")).toHaveText("3 watching");
  }
  await expect(admin.page.getByTestId("viewer-count")).toHaveText("3");
  const rows = admin.page.getByTestId("viewer-row");
  await expect(rows).toHaveCount(3);
  for (let i = 0; i < 3; i++) await expect(rows.nth(i)).toHaveAttribute("data-state", "connected");

  // A viewer who closes the tab disappears from the studio.
  await viewers[2].context.close();
  viewers.pop();
  await expect(admin.page.getByTestId("viewer-count")).toHaveText("2");
  await expect(rows).toHaveCount(2);
  await expect(viewers[0].page.getByTestId("watching")).toHaveText("2 watching");

  // Ending the live sends viewers back to offline, without reload.
  await admin.page.getByRole("button", { name: "End live" }).click();
  await expect(admin.page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "off");
  for (const v of viewers) {
    await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "offline");
  }

  // Going live again brings them back, playing.
  await admin.page.getByRole("button", { name: "Go live" }).click();
  await expect(admin.page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "live");
  for (const v of viewers) {
    await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "live");
    await expectPlaying(v.page);
  }
  await expect(admin.page.getByTestId("viewer-count")).toHaveText("2");
  await admin.page.screenshot({ path: "test-results/studio-live.png" });
  await viewers[0].page.screenshot({ path: "test-results/watch-live.png" });

  for (const v of [...viewers, admin]) await v.context.close();
});

test("a viewer joining a live stream plays at once, and can unmute", async ({ browser }) => {
  const admin = await newPage(browser);
  await signIn(admin.page);
  await admin.page.getByRole("button", { name: "Go live" }).click();
  await expect(admin.page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "live");

  const viewer = await newPage(browser);
  await viewer.page.goto("/watch");
  await expect(viewer.page.getByTestId("stream-status")).toHaveAttribute("data-state", "live");
  await expectPlaying(viewer.page);
  const player = viewer.page.getByTestId("player");
  expect(await player.evaluate((v: HTMLVideoElement) => v.muted)).toBe(true);
  await viewer.page.getByTestId("unmute").click();
  await expect.poll(() => player.evaluate((v: HTMLVideoElement) => v.muted)).toBe(false);
  await expect(viewer.page.getByTestId("unmute")).toHaveCount(0);

  // Reloading the studio goes back on air by itself and brings the viewer back to live.
  await admin.page.reload();
  await hydrated(admin.page);
  await expect(admin.page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "live");
  await expect(viewer.page.getByTestId("stream-status")).toHaveAttribute("data-state", "live");
  await expectPlaying(viewer.page);
  await expect(admin.page.getByTestId("viewer-row")).toHaveCount(1);

  await viewer.context.close();
  await admin.context.close();
});

test("a viewer whose page starts late answers first, then adds the candidates that came before", async ({ browser }) => {
  const admin = await newPage(browser);
  await signIn(admin.page);
  await goLive(admin.page);

  const viewer = await newPage(browser);
  // The order in which the page calls the browser: each call is a step of the connection's
  // operations chain, so a candidate added before createAnswer holds the answer up; and the
  // answer goes to the studio before those candidates are added, not after.
  await viewer.context.addInitScript(() => {
    const calls: string[] = ((window as any).__rtcCalls = []);
    const proto = window.RTCPeerConnection.prototype as any;
    for (const name of ["createAnswer", "addIceCandidate"]) {
      const native = proto[name];
      proto[name] = function (...args: unknown[]) {
        calls.push(name);
        return native.apply(this, args);
      };
    }
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (typeof data === "string" && /"type"\s*:\s*"answer"/.test(data)) calls.push("answer sent");
      return send.call(this, data);
    };
    // The studio's offer carries its candidates (its spare connection gathered them ahead):
    // here they are taken out of it and come as messages of their own right after it, as
    // from a studio that trickles them.
    const made = new WeakSet<Event>();
    const Socket = window.WebSocket;
    (window as any).WebSocket = class extends Socket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        this.addEventListener("message", (e: MessageEvent) => {
          const msg = typeof e.data === "string" && !made.has(e) ? JSON.parse(e.data) : null;
          if (msg?.type !== "offer") return;
          e.stopImmediatePropagation();
          const candidates: { candidate: string; sdpMLineIndex: number }[] = [];
          let section = -1;
          const sdp = msg.offer.sdp
            .split("\r\n")
            .filter((line: string) => {
              if (line.startsWith("m=")) section++;
              if (!line.startsWith("a=candidate:")) return true;
              candidates.push({ candidate: line.slice(2), sdpMLineIndex: section });
              return false;
            })
            .join("\r\n");
          const deliver = (data: object) => {
            const event = new MessageEvent("message", { data: JSON.stringify(data) });
            made.add(event);
            this.dispatchEvent(event);
          };
          (window as any).__candidatesInOffer = candidates.length;
          deliver({ ...msg, offer: { ...msg.offer, sdp } });
          for (const candidate of candidates) deliver({ type: "candidate", candidate, target: "viewer", viewerId: msg.viewerId });
        });
      }
    };
  });
  // The wasm comes a second late: the studio's offer and its candidates are all in by the
  // time the player runs.
  await viewer.page.route(/\/pkg\/.*\.wasm$/, async (route) => {
    await new Promise((ok) => setTimeout(ok, 1_000));
    await route.continue();
  });
  await viewer.page.goto("/watch");
  await expectPlaying(viewer.page);
  const calls: string[] = await viewer.page.evaluate(() => (window as any).__rtcCalls);
  expect(await viewer.page.evaluate(() => (window as any).__candidatesInOffer), "the offer had candidates").toBeGreaterThan(0);
  expect(calls, "candidates came before the offer was answered").toContain("addIceCandidate");
  expect(calls.indexOf("createAnswer"), calls.join(", ")).toBeLessThan(calls.indexOf("addIceCandidate"));
  expect(calls.indexOf("answer sent"), calls.join(", ")).toBeGreaterThan(calls.indexOf("createAnswer"));
  expect(calls.indexOf("answer sent"), calls.join(", ")).toBeLessThan(calls.indexOf("addIceCandidate"));

  await viewer.context.close();
  await admin.context.close();
});

test("(release) the starter answers before the player's wasm is fetched, and the player takes its connection over", async ({ browser }) => {
  test.skip(!process.env.ONAIR_E2E_RELEASE, "`make release` builds the starter; a debug build's player connects itself");
  const admin = await newPage(browser);
  await signIn(admin.page);
  await goLive(admin.page);

  const viewer = await newPage(browser);
  await viewer.context.addInitScript(() => {
    const w = window as any;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (typeof data === "string" && /"type"\s*:\s*"answer"/.test(data)) w.__answerAt ??= performance.now();
      return send.call(this, data);
    };
    // The loader's socket: it runs its patience timer (500 ms) from then on.
    const Native = WebSocket;
    w.WebSocket = class extends Native {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        w.__socketAt ??= performance.now();
      }
    };
  });
  // The player's wasm is held back: the starter alone plays the stream, in sight.
  const playerWasm = /\/pkg\/onair\.[\w-]+\.wasm$/;
  let release: () => void = () => {};
  const held = new Promise<void>((ok) => (release = ok));
  await viewer.page.route(playerWasm, async (route) => {
    await held;
    await route.continue();
  });
  await viewer.page.goto("/watch");
  // Nothing preloaded: the player's files would compete with the socket and the starter's.
  await expect(viewer.page.locator('head link[rel="preload"], head link[rel="modulepreload"]')).toHaveCount(0);
  await expectPlaying(viewer.page);
  await expect(viewer.page.getByTestId("stream-message")).toBeHidden();
  expect(await viewer.page.locator("[data-hydrated]").getAttribute("data-hydrated"), "the player's wasm is held").toBe("false");
  release();
  await hydrated(viewer.page);
  const status = viewer.page.getByTestId("stream-status");
  await expect(status).toHaveAttribute("data-state", "live");
  await expectPlaying(viewer.page);
  const seen = await viewer.page.evaluate(() => ({
    connections: (window as any).__onairPeers.length,
    answerAt: (window as any).__answerAt,
    socketAt: (window as any).__socketAt,
    playerWasmAt: performance
      .getEntriesByType("resource")
      .find((e) => /\/pkg\/onair\.[\w-]+\.wasm$/.test(e.name))?.startTime,
  }));
  expect(seen.connections, "the player took the starter's connection over").toBe(1);
  // The loader asks for the player's wasm once the starter's video plays (after its answer), or
  // after 500 ms of patience from its start (a loaded machine may answer later than that).
  expect(seen.playerWasmAt, JSON.stringify(seen)).toBeGreaterThan(Math.min(seen.answerAt, seen.socketAt + 499));
  await expect(admin.page.getByTestId("viewer-row")).toHaveCount(1);

  // The player follows the connection it took over: the live ends, and comes back.
  await admin.page.getByRole("button", { name: "End live" }).click();
  await expect(status).toHaveAttribute("data-state", "offline");
  await admin.page.getByRole("button", { name: "Go live" }).click();
  await expect(status).toHaveAttribute("data-state", "live");
  await expectPlaying(viewer.page);
  expect(await viewer.page.evaluate(() => (window as any).__onairPeers.length)).toBe(2);

  await viewer.context.close();
  await admin.context.close();
});

test("(release) once the starter has taken an offer, the page renders when its connection is up, or after the hold's limit", async ({ launchOptions }) => {
  test.skip(!process.env.ONAIR_E2E_RELEASE, "`make release` builds the starter; a debug build's player connects itself");
  // The page's HTML is rewritten below, and Chromium counts a page served by the test as
  // public: its socket to 127.0.0.1 would be refused (local network access), so not here.
  const args = (launchOptions.args ?? []).map((a) => (a.startsWith("--disable-features=") ? `${a},LocalNetworkAccessChecks` : a));
  const browser = await chromium.launch({ ...launchOptions, args });
  try {
    const admin = await newPage(browser);
    await signIn(admin.page);
    await goLive(admin.page);

    const viewer = await newPage(browser);
    const answerDelayMs = 3000;
    await viewer.context.addInitScript((answerDelayMs: number) => {
      const w = window as any;
      // The viewer's answer is held back on its way out, with whatever the page sends after it:
      // the connection comes up long after the offer was taken.
      const send = WebSocket.prototype.send;
      let held: Promise<void> | null = null;
      WebSocket.prototype.send = function (data) {
        if (!held && /"type"\s*:\s*"answer"/.test(String(data))) held = new Promise((ok) => setTimeout(ok, answerDelayMs));
        if (!held) return send.call(this, data);
        held.then(() => send.call(this, data));
      };
      // The document has no root element yet: watched from the document down.
      new MutationObserver(() => {
        if (document.documentElement.hasAttribute("data-starting")) w.__startingAt ??= performance.now();
        else if (w.__startingAt !== undefined) w.__renderedAt ??= performance.now();
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-starting"] });
      const Socket = w.WebSocket;
      w.WebSocket = class extends Socket {
        constructor(...args: ConstructorParameters<typeof WebSocket>) {
          super(...args);
          this.addEventListener("message", (e: MessageEvent) => {
            if (/"type"\s*:\s*"offer"/.test(String(e.data))) w.__offerAt ??= performance.now();
          });
        }
      };
      // Registered before the starter's own handler: stamped before it lets the page render.
      const Pc = w.RTCPeerConnection;
      w.RTCPeerConnection = class extends Pc {
        constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
          super(...args);
          this.addEventListener("connectionstatechange", () => {
            if (this.connectionState === "connected") w.__connectedAt ??= performance.now();
          });
        }
      };
    }, answerDelayMs);
    // The loader's waits, rewritten in the page: `firstRenderWaitMs`, `renderHoldMs` (before
    // `playerPatienceMs`, kept).
    let waits = "";
    await viewer.page.route(/\/watch$/, async (route) => {
      const response = await route.fetch();
      const html = await response.text();
      const body = html.replace(/, \d+, \d+(, \d+\);<\/script>)/, `, ${waits}$1`);
      expect(body, "the loader's call ends with its three waits").not.toBe(html);
      const headers = { ...response.headers() };
      delete headers["content-encoding"];
      delete headers["content-length"];
      await route.fulfill({ response, headers, body });
    });
    // The player's wasm is held back, or the page would render when it hydrates (the loader's
    // patience, `playerPatienceMs`, runs out while the connection is held up).
    let release: () => void = () => {};
    const playerHeld = new Promise<void>((ok) => (release = ok));
    await viewer.page.route(/\/pkg\/onair\.[\w-]+\.wasm$/, async (route) => {
      await playerHeld;
      await route.continue().catch(() => {}); // the first page's request ended with its page
    });
    const seen = async () => {
      await viewer.page.waitForFunction(() => (window as any).__connectedAt !== undefined, null, { timeout: answerDelayMs + 15_000 });
      await expectPlaying(viewer.page);
      return viewer.page.evaluate(() => {
        const w = window as any;
        return { offerAt: w.__offerAt, renderedAt: w.__renderedAt, connectedAt: w.__connectedAt };
      });
    };

    // The loader's timer (2 s) comes while the connection is held up: the page waits for the connection.
    waits = "2000, 10000";
    await viewer.page.goto("/watch");
    const held = await seen();
    expect(held.connectedAt, JSON.stringify(held)).toBeGreaterThan(held.offerAt + answerDelayMs);
    expect(held.renderedAt, JSON.stringify(held)).toBeGreaterThanOrEqual(held.connectedAt);

    // The hold has a limit (here 300 ms after the offer was taken): the page renders then,
    // before the connection is up and before the loader's timer.
    waits = "2000, 300";
    await viewer.page.reload();
    const limited = await seen();
    expect(limited.renderedAt, JSON.stringify(limited)).toBeGreaterThanOrEqual(limited.offerAt + 299);
    expect(limited.renderedAt, JSON.stringify(limited)).toBeLessThan(limited.connectedAt);
    expect(limited.renderedAt, JSON.stringify(limited)).toBeLessThan(1999);
    release();
  } finally {
    await browser.close();
  }
});

test("the watch page renders its text before playback connects when the wasm is late, and never stays blank", async ({ page }) => {
  // The loader holds the page's first render until playback connects (web/watch_loader.js),
  // for at most a moment: here the wasm is held back until the text has shown, then once it
  // never comes.
  await page.addInitScript(() => {
    document.addEventListener("DOMContentLoaded", () => {
      (window as any).__startingAtParse = document.documentElement.hasAttribute("data-starting");
    });
  });
  const wasmFile = /\/pkg\/.*\.wasm$/;
  let release: () => void = () => {};
  const held = new Promise<void>((ok) => (release = ok));
  await page.route(wasmFile, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("/watch");
  expect(await page.evaluate(() => (window as any).__startingAtParse), "the first render waits").toBe(true);
  await expect(page.getByTestId("stream-message")).toBeVisible({ timeout: 1_000 });
  expect(await page.locator("[data-hydrated]").getAttribute("data-hydrated"), "the wasm is still held").toBe("false");
  release();
  await hydrated(page);

  await page.unroute(wasmFile);
  await page.route(wasmFile, (route) => route.abort());
  await page.reload();
  await expect(page.getByTestId("stream-message")).toBeVisible({ timeout: 1_000 });
});

test("the front end has hashed names, is cached for good and (release) comes precompressed", async ({ page }) => {
  const wasm = page.waitForResponse((r) => /\/pkg\/onair\.[^/]+\.wasm$/.test(r.url()));
  await page.goto("/watch");
  const res = await wasm;
  expect(res.status()).toBe(200);
  const headers = res.headers();
  expect(headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  // `make release` writes the brotli twins; the debug build has none.
  if (process.env.ONAIR_E2E_RELEASE) expect(headers["content-encoding"]).toBe("br");
  await hydrated(page);
  // The icon is a PNG: an SVG one cost each new page ~10 ms of its main thread (an SVG
  // document of its own), mid-join (Chromium's traces of the watch page; see the README).
  const icon = await page.locator('head link[rel="icon"]').getAttribute("href");
  const iconResponse = await page.request.get(icon!);
  expect(iconResponse.status()).toBe(200);
  expect(iconResponse.headers()["content-type"]).toBe("image/png");
});

test("a viewer downloads the watch page's wasm only (a release's starter first); the studio's code comes with the studio page", async ({ browser }) => {
  const { context, page } = await newPage(browser);
  const wasm: string[] = [];
  page.on("request", (r) => {
    const name = new URL(r.url()).pathname.split("/").pop() ?? "";
    if (name.endsWith(".wasm")) wasm.push(name.replace(/_\d+\./, ".").replace(/\.[\w-]+\.wasm$/, ""));
  });
  await page.goto("/watch");
  await hydrated(page);
  // `make release` builds the watch page's starter (browser/starter.rs), which comes first.
  expect(wasm, "/watch").toEqual(process.env.ONAIR_E2E_RELEASE ? ["starter", "onair"] : ["onair"]);
  wasm.length = 0;
  await signIn(page);
  // `make release` splits the wasm (browser/pages.rs); the debug build has one file.
  // The server has the browser preload the page's file with the main one (web/page_code.rs).
  const preloads = page.locator('head link[rel="preload"][href*="/split_admin_"]');
  if (process.env.ONAIR_E2E_RELEASE) {
    await expect(preloads).toHaveCount(1);
    // Fetched once: the page's own fetch takes the preloaded response.
    expect(wasm.filter((name) => name === "split_admin"), "/admin").toEqual(["split_admin"]);
  } else {
    expect(wasm.filter((name) => name.startsWith("split_")), "/admin").toEqual([]);
    await expect(preloads).toHaveCount(0);
  }
  // The studio works: its session started (the camera preview asks for the fake camera).
  await expect(page.getByRole("button", { name: "Go live" })).toBeEnabled();
  await context.close();
});

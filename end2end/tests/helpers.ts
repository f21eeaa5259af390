import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { adminPassword } from "../playwright.config";

/** Records every RTCPeerConnection the page creates, so tests can read getStats(). */
const recordPeers = () => {
  const Native = window.RTCPeerConnection;
  const peers: RTCPeerConnection[] = [];
  (window as any).__onairPeers = peers;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      peers.push(this);
    }
  } as typeof RTCPeerConnection;
};

export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  await context.addInitScript(recordPeers);
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`[page error] ${e.message}`));
  return { context, page };
}

/** Waits until the wasm has hydrated the page (event handlers are live). */
export async function hydrated(page: Page) {
  await expect(page.locator("[data-hydrated='true']")).toHaveCount(1);
}

/** A browser context with its page, for one admin or one viewer. */
export type Client = { context: BrowserContext; page: Page };

/** Opens `count` viewers on the watch page, one context each, each hydrated. */
export async function openViewers(browser: Browser, count: number, base = ""): Promise<Client[]> {
  const viewers: Client[] = [];
  for (let i = 0; i < count; i++) {
    const v = await newPage(browser);
    await v.page.goto(`${base}/watch`);
    await hydrated(v.page);
    viewers.push(v);
  }
  return viewers;
}

/** Presses Go live and waits until the studio is on air. */
export async function goLive(page: Page) {
  await page.getByRole("button", { name: "Go live" }).click();
  await expect(page.getByTestId("broadcast-status")).toHaveAttribute("data-state", "live");
}

export async function signIn(page: Page, base = "") {
  await page.goto(`${base}/admin`);
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await hydrated(page);
}

/** Decoded video frames summed over the page's connected peer connections. */
export async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let total = 0;
    for (const pc of (window as any).__onairPeers as RTCPeerConnection[]) {
      if (pc.connectionState !== "connected") continue;
      const stats = await pc.getStats();
      stats.forEach((s: any) => {
        if (s.type === "inbound-rtp" && s.kind === "video") total += s.framesDecoded ?? 0;
      });
    }
    return total;
  });
}

/** Real video: the player has a size and decoded frames keep rising. */
export async function expectPlaying(page: Page, testid = "player") {
  const video = page.getByTestId(testid);
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  if (testid !== "player") return;
  const first = await framesDecoded(page);
  await expect.poll(() => framesDecoded(page), { intervals: [500] }).toBeGreaterThan(first + 5);
  expect(await video.evaluate((v: HTMLVideoElement) => v.paused)).toBe(false);
}

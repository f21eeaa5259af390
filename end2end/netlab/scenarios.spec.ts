// The network lab's scenarios, one test each, titled `[name]` for run.sh's --grep. They share
// one live: one Chromium per LAN, the studio's page, and the viewers opened so far.
import { test, expect, type Browser, type Page } from "@playwright/test";
import { expectPlaying, framesDecoded, goLive, hydrated, newPage, signIn, type Client } from "../tests/helpers";
import { Lan, base, browserIn, fault, lab, median, newRowId, report, row, rowIds, sleep, timeUntilPlaying } from "./lab";

test.describe.configure({ mode: "serial" });

const browsers = new Map<number, Browser>();
const viewers = new Map<number, { client: Client; rowId: string }>();
let studio: Client | undefined;

async function browser(n: number): Promise<Browser> {
  if (!browsers.has(n)) browsers.set(n, await browserIn(n));
  return browsers.get(n)!;
}

async function studioPage(): Promise<Page> {
  if (!studio) {
    studio = await newPage(await browser(Lan.studio));
    await signIn(studio.page, base);
    await goLive(studio.page);
  }
  return studio.page;
}

/** The viewer on LAN `n` (opened once), with the id of its row in the studio. */
async function viewer(n: number): Promise<{ page: Page; rowId: string }> {
  const known = viewers.get(n);
  if (known) return { page: known.client.page, rowId: known.rowId };
  const s = await studioPage();
  const before = await rowIds(s);
  const client = await newPage(await browser(n));
  await client.page.goto(`${base}/watch`);
  await hydrated(client.page);
  const rowId = await newRowId(s, before);
  viewers.set(n, { client, rowId });
  return { page: client.page, rowId };
}

test.afterAll(async () => {
  for (const b of browsers.values()) await b.close().catch(() => {});
});

const routeCell = (s: Page, id: string) => row(s, id).getByTestId("row-route");

test("[routes] every viewer plays, and the studio shows each one's route", async () => {
  test.skip(!lab.turn || lab.relay !== "off", "needs the lab with TURN, peer to peer");
  const expected: [number, RegExp][] = [
    [Lan.studio, /^direct/],
    [Lan.nat, /^STUN/],
    [Lan.turnOnly, /^TURN relay \(udp\)$/],
    [Lan.noUdp, /^TURN relay over TCP/],
  ];
  const s = await studioPage();
  for (const [n, route] of expected) {
    const v = await viewer(n);
    await expectPlaying(v.page);
    await expect(row(s, v.rowId)).toHaveAttribute("data-state", "connected");
    await expect(routeCell(s, v.rowId)).toHaveText(route);
    report(`routes: LAN ${n} plays, studio says "${await routeCell(s, v.rowId).innerText()}"`);
  }
});

/** Cuts LAN `n`'s link for 5 s, three times; returns how long video took to come back each time. */
async function cutThreeTimes(n: number, watch: Page, during: (page: Page) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    await expectPlaying(watch);
    fault("link-down", n);
    await Promise.all([sleep(5_000), during(watch)]);
    fault("link-up", n);
    times.push(await timeUntilPlaying(watch, 30_000));
  }
  return times;
}

function recoveryVerdict(name: string, times: number[]) {
  const m = median(times);
  report(`${name}: recovery ${times.map((t) => (t / 1000).toFixed(1)).join(" s, ")} s; median ${(m / 1000).toFixed(1)} s`);
  expect(m, "median recovery time (ms)").toBeLessThan(10_000);
}

test("[cut-link] a viewer's link down 5 s comes back by itself, and the studio shows it", async () => {
  test.skip(!lab.turn || lab.relay !== "off", "needs the lab with TURN, peer to peer");
  const s = await studioPage();
  const v = await viewer(Lan.nat);
  const times = await cutThreeTimes(Lan.nat, v.page, async () => {
    // The studio sees the viewer's connection interrupted while the link is down.
    await expect(row(s, v.rowId)).not.toHaveAttribute("data-state", "connected", { timeout: 5_000 });
  });
  // The same viewer (its row keeps its id), watching again.
  await expect(row(s, v.rowId)).toHaveAttribute("data-state", "connected");
  recoveryVerdict("cut-link", times);
});

test("[studio-cut] the studio's link down 5 s: viewers say reconnecting and come back", async () => {
  test.skip(!lab.turn || lab.relay !== "off", "needs the lab with TURN, peer to peer");
  await studioPage();
  const v = await viewer(Lan.nat);
  const times = await cutThreeTimes(Lan.studio, v.page, async (watch) => {
    await expect(watch.getByTestId("stream-status")).toHaveAttribute("data-state", "reconnecting", { timeout: 5_000 });
  });
  await expect(v.page.getByTestId("stream-status")).toHaveAttribute("data-state", "live");
  recoveryVerdict("studio-cut", times);
});

test("[rebind] the viewer's NAT mapping changes: it recovers by itself", async () => {
  test.skip(!lab.turn || lab.relay !== "off", "needs the lab with TURN, peer to peer");
  const s = await studioPage();
  const v = await viewer(Lan.nat);
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    await expectPlaying(v.page);
    fault("rebind", Lan.nat);
    // The old mapping is gone: video stops until ICE finds the new one.
    await expect.poll(async () => !(await framesRisingQuick(v.page)), { timeout: 10_000 }).toBe(true);
    times.push(await timeUntilPlaying(v.page, 30_000));
  }
  await expect(row(s, v.rowId)).toHaveAttribute("data-state", "connected");
  recoveryVerdict("rebind", times);
});

async function framesRisingQuick(page: Page) {
  const a = await framesDecoded(page);
  await sleep(400);
  return (await framesDecoded(page)) > a;
}

test("[no-turn] without TURN the UDP-blocked viewer is told why, and so is the studio", async () => {
  test.skip(lab.turn || lab.relay !== "off", "needs the lab without TURN, peer to peer");
  const s = await studioPage();
  const ok = await viewer(Lan.nat);
  await expectPlaying(ok.page);
  const blocked = await viewer(Lan.noUdp);
  const status = blocked.page.getByTestId("stream-status");
  await expect(status).toHaveAttribute("data-state", "unreachable", { timeout: 60_000 });
  report(`no-turn: watch page says "${await status.innerText()}"`);
  await expect(s.getByTestId("warnings")).toContainText("cannot connect: no relay route", { timeout: 30_000 });
  report(`no-turn: studio says "${(await s.getByTestId("warnings").innerText()).replace(/\n/g, " / ")}"`);
});

test("[relay] through the relay every viewer plays, the UDP-blocked ones through TURN", async () => {
  test.skip(!lab.turn || lab.relay !== "on", "needs the lab with TURN and --relay on");
  const s = await studioPage();
  for (const n of [Lan.studio, Lan.nat, Lan.turnOnly, Lan.noUdp]) {
    const v = await viewer(n);
    await expectPlaying(v.page);
    await expect(row(s, v.rowId)).toHaveAttribute("data-path", "relay");
    report(`relay: LAN ${n} plays through the relay`);
  }
});

test("[relay-udp-blocked] a viewer whose UDP to the relay's port is cut falls back to TURN", async () => {
  test.skip(!lab.turn || lab.relay !== "on", "needs the lab with TURN and --relay on");
  await studioPage();
  fault("block-relay-udp", Lan.nat);
  try {
    const v = await viewer(Lan.nat);
    await expectPlaying(v.page);
    const start = Date.now();
    // Mid-live too: the blocked port breaks the session; the next one goes through TURN.
    report(`relay-udp-blocked: plays (relay candidate: ${await usesTurn(v.page)})`);
    expect(await usesTurn(v.page)).toBe(true);
    report(`relay-udp-blocked: checked in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  } finally {
    fault("unblock-relay-udp", Lan.nat);
  }
});

/** Whether the page's connected peer connection goes through a TURN relay candidate. */
async function usesTurn(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    for (const pc of (window as any).__onairPeers as RTCPeerConnection[]) {
      if (pc.connectionState !== "connected") continue;
      const stats = await pc.getStats();
      let pair: any;
      stats.forEach((s: any) => {
        if (s.type === "transport" && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
      });
      const local = pair && stats.get(pair.localCandidateId);
      if (local?.candidateType === "relay") return true;
    }
    return false;
  });
}

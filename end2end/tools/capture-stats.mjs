// Captures real Chromium `getStats()` reports for the unit tests of `src/stats`.
//
// Two RTCPeerConnections in one headless page, connected to each other over loopback:
// pc1 sends the fake camera (640×480) and microphone, pc2 receives them. Once video flows,
// two samples one second apart are taken from both sides and written, pretty-printed, as
// `JSON.stringify(Array.from(report.values()))` — exactly what the browser side of OnAir
// hands to `onair::stats` — to:
//
//   src/stats/fixtures/sender-1.json    sender-2.json     (pc1)
//   src/stats/fixtures/receiver-1.json  receiver-2.json   (pc2)
//
// Rerun (from the repository root, after `npm ci` in end2end/):
//
//   node end2end/tools/capture-stats.mjs
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), STATS_OUT (default the fixtures
// folder above). Playwright is resolved from end2end/node_modules (`../node_modules`
// relative to this file). Nothing is downloaded; the page is served by a tiny local HTTP
// server on 127.0.0.1 (a secure context, which getUserMedia needs).
//
// The unit tests assert concrete values from these files (frame size, route, protocol,
// ranges computed from the byte counters): after recapturing, rerun
// `cargo test --lib --features ssr stats` and adjust the tests if the numbers moved.

import { createRequire } from "node:module";
import { createServer } from "node:http";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "node_modules", "noop.js"));
const { chromium } = require("@playwright/test");

const outDir = process.env.STATS_OUT ?? path.join(here, "..", "..", "src", "stats", "fixtures");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end("<!doctype html><title>capture-stats</title><body></body>");
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // The tests' flags (end2end/chromium-flags.json).
  args: JSON.parse(await readFile(path.join(here, "..", "chromium-flags.json"), "utf8")).args,
});

try {
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  const page = await context.newPage();
  page.on("console", (m) => console.log(`[page] ${m.text()}`));
  page.on("pageerror", (e) => console.log(`[page error] ${e.message}`));
  await page.goto(url);

  const samples = await page.evaluate(async () => {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const values = async (pc) => Array.from((await pc.getStats()).values());

    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: 640, height: 480 },
      audio: true,
    });
    const pc1 = new RTCPeerConnection();
    const pc2 = new RTCPeerConnection();
    pc1.onicecandidate = (e) => e.candidate && pc2.addIceCandidate(e.candidate);
    pc2.onicecandidate = (e) => e.candidate && pc1.addIceCandidate(e.candidate);
    pc2.ontrack = (e) => {
      if (e.track.kind !== "video") return;
      const video = document.createElement("video");
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
      document.body.append(video);
      video.play().catch(() => {});
    };
    for (const track of stream.getTracks()) pc1.addTrack(track, stream);

    await pc1.setLocalDescription(await pc1.createOffer());
    await pc2.setRemoteDescription(pc1.localDescription);
    await pc2.setLocalDescription(await pc2.createAnswer());
    await pc1.setRemoteDescription(pc2.localDescription);

    // Wait until video is decoded on pc2 and pc1 has RTCP receiver reports (remote-inbound-rtp)
    // for both kinds and a bandwidth estimate, so every entry type the parser reads is present.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await values(pc1);
      const r = await values(pc2);
      const inVideo = r.find((e) => e.type === "inbound-rtp" && e.kind === "video");
      const remote = s.filter((e) => e.type === "remote-inbound-rtp").map((e) => e.kind);
      const selected = s.find((e) => e.type === "transport")?.selectedCandidatePairId;
      const pair = s.find((e) => e.type === "candidate-pair" && e.id === selected);
      // About 5 s of video at the fake camera's 20 fps: past the first seconds of ramp-up.
      const ready =
        (inVideo?.framesDecoded ?? 0) > 100 &&
        (inVideo?.frameWidth ?? 0) >= 640 &&
        remote.includes("video") &&
        remote.includes("audio") &&
        pair?.availableOutgoingBitrate !== undefined;
      if (ready) break;
      if (Date.now() > deadline) {
        throw new Error(
          `media did not flow in 30 s: framesDecoded=${inVideo?.framesDecoded} remote=${remote}`,
        );
      }
      await sleep(250);
    }

    const [sender1, receiver1] = await Promise.all([values(pc1), values(pc2)]);
    await sleep(1000);
    const [sender2, receiver2] = await Promise.all([values(pc1), values(pc2)]);
    pc1.close();
    pc2.close();
    for (const track of stream.getTracks()) track.stop();
    return {
      "sender-1": JSON.stringify(sender1),
      "sender-2": JSON.stringify(sender2),
      "receiver-1": JSON.stringify(receiver1),
      "receiver-2": JSON.stringify(receiver2),
    };
  });

  await mkdir(outDir, { recursive: true });
  for (const [name, json] of Object.entries(samples)) {
    const file = path.join(outDir, `${name}.json`);
    await writeFile(file, JSON.stringify(JSON.parse(json), null, 2) + "\n");
    const types = [...new Set(JSON.parse(json).map((e) => e.type))].sort().join(", ");
    console.log(`${path.relative(process.cwd(), file)}: ${types}`);
  }
  console.log(`Chromium ${browser.version()}`);
} finally {
  await browser.close();
  server.close();
}

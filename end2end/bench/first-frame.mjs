// Browser benchmark: join to first frame. Not a test (no assertions on timings) and not
// part of `make test`; scripts/bench.sh runs it with BENCH_BROWSER=1.
//
// For OnAir (release binary, target/release/onair + target/site) and then for the plain-JS
// baseline (bench/reference-node: server.js serving watch.html / stream.html): a streamer
// page goes live with Chromium's fake camera (640×480, 20 fps) and microphone; then viewers
// join one after the other, each in a fresh browser context (cold cache) of the same
// Chromium. For each viewer, in the page's own clock (performance.now(): ms since its
// navigation started): the first decoded remote video frame (requestVideoFrameCallback on
// the player) and, for OnAir, hydration (`data-hydrated="true"`), plus every step between.
// Each viewer is closed once measured, so every join meets the same load (one streamer,
// one viewer); BENCH_KEEP_VIEWERS=1 keeps them open instead (join i then shares the
// machine with i-1 playing viewers).
//
//   node end2end/bench/first-frame.mjs        (from the repository root, after `make release`)
//
//   BENCH_VIEWERS=5                viewers per server
//   BENCH_PLAIN=1                  0 skips the plain-JS baseline
//   BENCH_KEEP_VIEWERS=0
//   BENCH_ONAIR_BROWSER_PORT=9494  BENCH_NODE_BROWSER_PORT=9495
//   CHROMIUM_PATH=/usr/bin/chromium

import {
  env, goLiveOnAir, goLivePlain, joinTimings, launchBrowser, machine, ms, newClient, sleep, spread, startOnAir, studioOfferDelay,
  startReference, stopAll,
} from "./common.mjs";

const viewers = Number(env("BENCH_VIEWERS", 5));
const keep = env("BENCH_KEEP_VIEWERS", "0") === "1";

// The steps of a join, in order, as the table columns show them (absent ones print "-").
const steps = [
  ["html", (t) => t.html],
  ["css", (t) => t.resources["onair.css"]?.end],
  ["js", (t) => t.resources["onair.js"]?.end],
  ["wasm", (t) => t.resources["onair.wasm"]?.end],
  ["DCL", (t) => t.domContentLoaded],
  ["wasmStart", (t) => t.marks.wasmInstantiate],
  ["wasmReady", (t) => t.marks.wasmReady],
  ["hydrated", (t) => t.marks.hydrated],
  ["wsCreate", (t) => t.marks.wsCreate],
  ["wsOpen", (t) => t.marks.wsOpen],
  ["welcome", (t) => t.marks.welcome],
  ["offer", (t) => t.marks.offer],
  ["pc", (t) => t.marks.pc],
  ["track", (t) => t.marks.track],
  ["answer", (t) => t.marks.answer],
  ["ice", (t) => t.marks.iceConnected],
  ["connected", (t) => t.marks.connected],
  ["firstFrame", (t) => t.marks.firstFrame],
  ["playing", (t) => t.marks.playing],
];

async function scenario(label, start, live, watchPath) {
  const server = await start();
  const browser = await launchBrowser();
  const open = [];
  try {
    const streamer = await newClient(browser);
    await live(streamer.page, server);
    await joinTimings(streamer.page); // the preview shows the camera: capture is running
    await sleep(2000);
    const rows = [];
    for (let i = 0; i < viewers; i++) {
      const viewer = await newClient(browser);
      await viewer.page.goto(`${server.base}${watchPath}`);
      const t = await joinTimings(viewer.page);
      t.studioOffer = await studioOfferDelay(streamer.page);
      rows.push(t);
      if (keep) open.push(viewer);
      else await viewer.context.close();
      await sleep(1000);
    }
    console.log(`\n${label}: ms since navigation start, per viewer`);
    console.log(["#", ...steps.map(([s]) => s)].join("\t"));
    rows.forEach((t, i) => console.log([i + 1, ...steps.map(([, f]) => ms(f(t)))].join("\t")));
    console.log(`(streamer page, newViewer received → offer sent, ms: ${rows.map((t) => ms(t.studioOffer)).join(", ")})`);
    const wasm = rows[0].resources["onair.wasm"];
    if (wasm) console.log(`(onair.wasm: ${wasm.bytes} bytes transferred, fetch ${ms(wasm.end - wasm.start)} ms)`);
    return rows;
  } finally {
    for (const v of open) await v.context.close();
    await browser.close();
    await server.stop();
  }
}

try {
  console.log(`== join to first frame: ${viewers} viewers each, ${machine()}`);
  const onair = await scenario("OnAir", startOnAir, goLiveOnAir, "/watch");
  const plain = env("BENCH_PLAIN", "1") === "1" ? await scenario("plain JS", startReference, goLivePlain, "/watch.html") : [];

  const line = (name, s) => `| ${name} | ${ms(s.median)} | ${ms(s.min)} | ${ms(s.max)} | ${s.n} |`;
  console.log(`\n== results (${machine()}; ms from navigation start, in the viewer page's clock)\n`);
  console.log("| | median | min | max | viewers |\n| --- | ---: | ---: | ---: | ---: |");
  console.log(line("OnAir first frame", spread(onair.map((t) => t.marks.firstFrame))));
  if (plain.length) console.log(line("plain JS first frame", spread(plain.map((t) => t.marks.firstFrame))));
  console.log(line("OnAir hydrated", spread(onair.map((t) => t.marks.hydrated))));

  const offers = (rows) => ms(spread(rows.map((t) => t.studioOffer)).median);
  console.log(`\nstreamer page, newViewer received → offer sent (median ms): OnAir ${offers(onair)}${plain.length ? `, plain JS ${offers(plain)}` : ""}`);
  console.log("\nmedian of each step (ms since navigation start):\n");
  console.log(`| step | OnAir |${plain.length ? " plain JS |" : ""}\n| --- | ---: |${plain.length ? " ---: |" : ""}`);
  for (const [name, f] of steps) {
    const o = spread(onair.map(f));
    const p = spread(plain.map(f));
    if (!o.n && !p.n) continue;
    console.log(`| ${name} | ${ms(o.median)} |${plain.length ? ` ${ms(p.median)} |` : ""}`);
  }
} finally {
  await stopAll();
}

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
// machine with i-1 playing viewers). With a warm cache (BENCH_CACHE) each viewer's context
// first watches once, leaves for about:blank, and is measured on its second visit: the
// hashed pkg/ files then come from the browser's cache, as for a returning viewer. A fresh
// context also starts its network stack cold (its cache backend, its first connections),
// which a viewer's browser, already open when a link is clicked, has done long before; so
// with a cleared cache the context first loads a URL of another origin (`localhost` for
// `127.0.0.1`, same server), then its HTTP cache is cleared (CDP), and it leaves for
// about:blank: a first visit from a browser that is already running.
//
// A viewer's first frame is the first frame the studio's camera captures after the viewer's
// connection is up, so it comes on the camera's clock (every 50 ms at 20 fps). Each viewer
// starts a fixed time after the previous one's first frame, which would start every join at
// the same point of that clock, and a join a few ms faster or slower would then show up as
// no change or as a whole frame interval. So each measured visit starts after a random wait
// of up to two frame intervals.
//
// OnAir runs once per relay mode of BENCH_RELAY, a fresh server each: `off` is peer to
// peer (the studio answers each viewer's join with an offer over /ws), `on` sends every
// viewer through the relay (the viewer posts a WHEP offer; the relay asks the studio's
// upload for a keyframe and forwards from it). The per-step marks say where a join's time
// goes: in relay mode `useRelay` → `whepPost` → `whepAnswer` (the HTTP exchange) → `ice`
// → `connected` (DTLS) → `decoded` (the first frame the relay's stream yields: the
// keyframe wait) → `firstFrame` (the player shows the stream).
//
//   node end2end/bench/first-frame.mjs        (from the repository root, after `make release`)
//
//   BENCH_VIEWERS=5                viewers per server
//   BENCH_RELAY="off on"           OnAir's --relay modes, in this order
//   BENCH_PLAIN=1                  0 skips the plain-JS baseline
//   BENCH_CACHE="cold warm"        the browser cache each viewer starts with, in this order:
//                                  cold (a fresh context), cleared (a used context, its
//                                  cache emptied) or warm (this page visited before)
//   BENCH_ROUNDS=1                 runs of every server in turn (viewers pooled per server;
//                                  more rounds even out a machine whose load changes; as
//                                  many rounds as servers let each run first once)
//   BENCH_KEEP_VIEWERS=0
//   BENCH_ONAIR_BROWSER_PORT=9494  BENCH_NODE_BROWSER_PORT=9495
//   CHROMIUM_PATH=/usr/bin/chromium  BENCH_ONAIR_BIN / BENCH_SITE_ROOT (see common.mjs)
//   BENCH_BASELINE_BIN / BENCH_BASELINE_SITE   another OnAir build (its binary, with the
//                                  hash.txt beside it, and its site folder), run beside this
//                                  one in every round: a before and after in one run
//   BENCH_SPLIT=""                 where the streamer page runs: "" in the viewers' Chromium,
//                                  sharing its processes and the machine's cores; "browsers"
//                                  in a Chromium of its own; "cores" in a Chromium of its own
//                                  on CPU 0, the viewers' on CPU 1 (the servers unpinned): as
//                                  on two devices, a streamer's and a viewer's, whose work
//                                  does not slow each other's
//   BENCH_NETWORK=""               the viewers' link, "MBIT/RTT", e.g. "10/40": 10 Mbit/s
//                                  each way and 40 ms more per round trip, by Chromium's
//                                  network emulation (HTTP and WebSocket; WebRTC's UDP is
//                                  not slowed); empty: loopback as it is

import {
  env, goLiveOnAir, goLivePlain, joinTimings, launchBrowser, machine, ms, newClient, sleep, spread, startOnAir, studioTimes,
  startReference, stopAll, waitUpload,
} from "./common.mjs";

const viewers = Number(env("BENCH_VIEWERS", 5));
const cameraFrameMs = 1000 / 20; // Chromium's fake camera: 20 fps (common.mjs, launchBrowser)
const keep = env("BENCH_KEEP_VIEWERS", "0") === "1";
const relayModes = env("BENCH_RELAY", "off on").split(/\s+/).filter(Boolean);
const rounds = Number(env("BENCH_ROUNDS", 1));
const cacheModes = env("BENCH_CACHE", "cold warm").split(/\s+/).filter(Boolean);
const network = env("BENCH_NETWORK", "");
const split = env("BENCH_SPLIT", "");
if (!["", "browsers", "cores"].includes(split)) throw new Error(`BENCH_SPLIT: "", "browsers" or "cores", not ${split}`);
const baseline = env("BENCH_BASELINE_BIN", "") && { bin: env("BENCH_BASELINE_BIN"), site: env("BENCH_BASELINE_SITE", "") };
if (baseline && !baseline.site) throw new Error("BENCH_BASELINE_BIN needs BENCH_BASELINE_SITE: the baseline build's site folder");

/** A viewer's client, on the BENCH_NETWORK link when one is set. */
async function viewerClient(browser) {
  const client = await newClient(browser);
  if (network) {
    const [mbit, rtt] = network.split("/").map(Number);
    const bytesPerSecond = (mbit * 1e6) / 8;
    const cdp = await client.context.newCDPSession(client.page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions",
      { offline: false, latency: rtt, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
  }
  return client;
}

// The steps of a join, in order, as the table columns show them (absent ones print "-").
const steps = [
  ["html", (t) => t.html],
  ["css", (t) => t.resources["onair.css"]?.end],
  ["js", (t) => t.resources["onair.js"]?.end],
  ["wasm", (t) => t.resources["onair.wasm"]?.end],
  ["DCL", (t) => t.domContentLoaded],
  ["paint", (t) => t.firstPaint],
  ["FCP", (t) => t.contentfulPaint],
  ["wasmStart", (t) => t.marks.wasmInstantiate],
  ["wasmCompiled", (t) => t.marks.wasmCompiled],
  ["wasmReady", (t) => t.marks.wasmReady],
  ["hydrated", (t) => t.marks.hydrated],
  ["wsCreate", (t) => t.marks.wsCreate],
  ["wsOpen", (t) => t.marks.wsOpen],
  ["welcome", (t) => t.marks.welcome],
  ["offer", (t) => t.marks.offer],
  ["useRelay", (t) => t.marks.useRelay],
  ["pc", (t) => t.marks.pc],
  ["whepPost", (t) => t.marks.whepPost],
  ["whepAnswer", (t) => t.marks.whepAnswer],
  ["track", (t) => t.marks.track],
  ["answer", (t) => t.marks.answer],
  ["ice", (t) => t.marks.iceConnected],
  ["connected", (t) => t.marks.connected],
  ["received", (t) => t.marks.received],
  ["decoded", (t) => t.marks.decoded],
  ["firstFrame", (t) => t.marks.firstFrame],
  ["playing", (t) => t.marks.playing],
];

// Where a join's time goes once the page has its socket: the median of each viewer's own
// interval between two marks (peer to peer or relay, whichever marks the run has).
const segments = [
  ["welcome → first frame (the media part)", "welcome", "firstFrame"],
  ["welcome → offer (the studio's offer, over /ws)", "welcome", "offer"],
  ["offer → answer sent", "offer", "answer"],
  ["welcome → useRelay", "welcome", "useRelay"],
  ["useRelay → WHEP POST (offer created)", "useRelay", "whepPost"],
  ["WHEP POST → response (HTTP round trip)", "whepPost", "whepAnswer"],
  ["answer / WHEP response → ICE connected", "exchanged", "iceConnected"],
  ["ICE → connected (DTLS)", "iceConnected", "connected"],
  ["connected → decoded (keyframe wait)", "connected", "decoded"],
  ["connected → received (the keyframe's last packet)", "connected", "received"],
  ["received → decoded (decode, and the page's main thread)", "received", "decoded"],
  ["decoded → first frame (the player shows it)", "decoded", "firstFrame"],
];
const segment = (t, from, to) => {
  const at = (m) => (m === "exchanged" ? t.marks.whepAnswer ?? t.marks.answer : t.marks[m]);
  return at(to) - at(from);
};

// One server's viewers: `watchPath` is its watch page, `smallPath` a small response of the
// same server (the cleared cache mode's first visit, from another origin).
async function scenario(label, start, live, watchPath, smallPath) {
  const server = await start();
  const browser = await launchBrowser(split === "cores" ? { cpus: "1" } : {});
  const studioBrowser = split ? await launchBrowser(split === "cores" ? { cpus: "0" } : {}) : browser;
  const open = [];
  try {
    const streamer = await newClient(studioBrowser);
    await live(streamer.page, server);
    if (server.relay === "on") await waitUpload(streamer.page);
    await joinTimings(streamer.page); // the preview shows the camera: capture is running
    await sleep(2000);
    const rows = [];
    for (let i = 0; i < viewers; i++) {
      for (const cache of cacheModes) {
        const viewer = await viewerClient(browser);
        if (cache === "cleared") {
          await viewer.page.goto(`${server.base.replace("127.0.0.1", "localhost")}${smallPath}`);
          const cdp = await viewer.context.newCDPSession(viewer.page);
          await cdp.send("Network.clearBrowserCache");
          await cdp.detach();
          await viewer.page.goto("about:blank");
          await sleep(1000);
        }
        if (cache === "warm") {
          await viewer.page.goto(`${server.base}${watchPath}`);
          await joinTimings(viewer.page);
          await viewer.page.goto("about:blank");
          await sleep(1000);
        }
        // A random start within two of the camera's frame intervals (see the header).
        await sleep(Math.random() * 2 * cameraFrameMs);
        await viewer.page.goto(`${server.base}${watchPath}`);
        const t = await joinTimings(viewer.page);
        t.cache = cache;
        t.studio = await studioTimes(streamer.page);
        rows.push(t);
        if (keep) open.push(viewer);
        else await viewer.context.close();
        await sleep(1000);
      }
    }
    console.log(`\n${label}: ms since navigation start, per viewer`);
    console.log(["#", "cache", ...steps.map(([s]) => s)].join("\t"));
    rows.forEach((t, i) => console.log([i + 1, t.cache, ...steps.map(([, f]) => ms(f(t)))].join("\t")));
    console.log(`(streamer page, newViewer received → offer sent, ms: ${rows.map((t) => ms(t.studio.offer)).join(", ")})`);
    console.log(`(streamer page, answer received → applied, ms: ${rows.map((t) => ms(t.studio.answer)).join(", ")})`);
    const wasm = rows[0].resources["onair.wasm"];
    if (wasm) console.log(`(onair.wasm: ${wasm.bytes} bytes transferred, fetch ${ms(wasm.end - wasm.start)} ms)`);
    return rows;
  } finally {
    for (const v of open) await v.context.close();
    await browser.close();
    if (studioBrowser !== browser) await studioBrowser.close();
    await server.stop();
  }
}

try {
  console.log(`== join to first frame: ${viewers} viewers each${rounds > 1 ? ` per round, ${rounds} rounds` : ""}, OnAir with --relay ${relayModes.join(", ")}${baseline ? ` beside ${baseline.bin}` : ""}${network ? `, viewers' link ${network} (Mbit/s / ms added RTT)` : ""}${split ? `, streamer page apart (${split})` : ""}; ${machine()}`);
  // Rounds alternate the servers, so that a machine whose load changes meets them alike, each
  // round starting one server further on, so that no build always runs first or last.
  const runs = relayModes.flatMap((relay) => [
    ...(baseline ? [{ label: `OnAir baseline --relay ${relay}`, relay, build: baseline, rows: [] }] : []),
    { label: `OnAir --relay ${relay}`, relay, rows: [] },
  ]);
  if (env("BENCH_PLAIN", "1") === "1") runs.push({ label: "plain JS", rows: [] });
  for (let round = 0; round < rounds; round++) {
    for (const r of [...runs.slice(round % runs.length), ...runs.slice(0, round % runs.length)]) {
      const rows = r.relay
        ? await scenario(r.label, () => startOnAir({ relay: r.relay, build: r.build }), goLiveOnAir, "/watch", "/readyz")
        : await scenario(r.label, startReference, goLivePlain, "/watch.html", "/");
      r.rows.push(...rows);
    }
  }

  // From here on each cache mode is a run of its own, side by side in every table.
  const byCache = runs.flatMap((r) =>
    cacheModes.map((cache) => ({ ...r, label: `${r.label}${cacheModes.length > 1 ? ` (${cache})` : ""}`, cache, rows: r.rows.filter((t) => t.cache === cache) })));
  runs.splice(0, runs.length, ...byCache);
  const first = (rows) => spread(rows.map((t) => t.marks.firstFrame));
  const line = (name, s) => `| ${name} | ${ms(s.median)} | ${ms(s.min)} | ${ms(s.max)} | ${s.n} |`;
  console.log(`\n== results (${machine()}; ms from navigation start, in the viewer page's clock)\n`);
  console.log("| | median | min | max | viewers |\n| --- | ---: | ---: | ---: | ---: |");
  for (const r of runs) console.log(line(`${r.label} first frame`, first(r.rows)));
  for (const r of runs.filter((r) => r.label.startsWith("OnAir"))) console.log(line(`${r.label} hydrated`, spread(r.rows.map((t) => t.marks.hydrated))));
  for (const r of runs) console.log(line(`${r.label} first contentful paint`, spread(r.rows.map((t) => t.contentfulPaint))));

  // Relay against peer to peer: with the first cache mode.
  const p2p = runs.find((r) => r.relay === "off" && r.cache === cacheModes[0]);
  const relay = runs.find((r) => r.relay === "on" && r.cache === cacheModes[0]);
  if (p2p && relay) {
    const d = first(relay.rows).median - first(p2p.rows).median;
    console.log(`\nrelay − peer to peer, median first frame: ${d >= 0 ? "+" : ""}${ms(d)} ms (the issue's target: within 100 ms)`);
  }
  console.log("\nmedian of each viewer's interval between two marks (ms):\n");
  console.log(`| interval |${runs.map((r) => ` ${r.label} |`).join("")}\n| --- |${runs.map(() => " ---: |").join("")}`);
  for (const [name, from, to] of segments) {
    const cols = runs.map((r) => spread(r.rows.map((t) => segment(t, from, to))));
    if (!cols.some((c) => c.n)) continue;
    console.log(`| ${name} |${cols.map((c) => ` ${ms(c.median)} |`).join("")}`);
  }
  // The streamer page's side of each join, in its own clock (studioTimes).
  for (const [name, key] of [["streamer: newViewer → offer sent", "offer"], ["streamer: answer received → applied", "answer"]]) {
    const cols = runs.map((r) => spread(r.rows.map((t) => t.studio[key])));
    if (cols.some((c) => c.n)) console.log(`| ${name} |${cols.map((c) => ` ${ms(c.median)} |`).join("")}`);
  }
  if (p2p && relay) {
    const media = (r) => spread(r.rows.map((t) => segment(t, "welcome", "firstFrame"))).median;
    const d = media(relay) - media(p2p);
    console.log(`\nrelay − peer to peer, median welcome → first frame: ${d >= 0 ? "+" : ""}${ms(d)} ms (page loading left out)`);
  }
  console.log("\nmedian of each step (ms since navigation start):\n");
  console.log(`| step |${runs.map((r) => ` ${r.label} |`).join("")}\n| --- |${runs.map(() => " ---: |").join("")}`);
  for (const [name, f] of steps) {
    const cols = runs.map((r) => spread(r.rows.map(f)));
    if (!cols.some((c) => c.n)) continue;
    console.log(`| ${name} |${cols.map((c) => ` ${ms(c.median)} |`).join("")}`);
  }
} finally {
  await stopAll();
}

// Browser benchmark: mesh capacity. Not a test (no assertions) and not part of `make test`;
// scripts/bench.sh runs it with BENCH_BROWSER=1.
//
// One OnAir studio tab goes live (release binary; Chromium's fake camera at 640×480 and
// BENCH_MESH_FPS frames per second, microphone on). Viewers are added one by one, each in
// its own browser context of the SAME Chromium process as the studio (each context gets
// its own renderer), all on this machine. After each addition: wait BENCH_MESH_SETTLE_MS,
// then measure every viewer's received frame rate over BENCH_MESH_WINDOW_MS (inbound-rtp
// framesDecoded delta over the stats timestamps; framesPerSecond is printed too) and read
// the studio's outbound-rtp video of every peer connection (qualityLimitationReason, fps,
// frame size). It stops when a viewer plays below BENCH_MESH_MIN_FPS, when the studio
// reports a "cpu" quality limitation, when a viewer shows no frame within 30 s, at
// BENCH_MESH_MAX viewers, or after BENCH_MESH_MINUTES.
//
// The studio encodes one stream per viewer and every viewer decodes one, so on one machine
// the ceiling is the machine's: sender and receivers share its cores. Each step also
// prints the CPU the whole Chromium (all its processes) used during the window, in cores,
// and how busy the machine was (other work included).
//
//   node end2end/bench/mesh.mjs               (from the repository root, after `make release`)
//
//   BENCH_MESH_FPS=30  BENCH_MESH_MIN_FPS=24  BENCH_MESH_MAX=20  BENCH_MESH_MINUTES=10
//   BENCH_MESH_SETTLE_MS=5000  BENCH_MESH_WINDOW_MS=3000
//   BENCH_ONAIR_BROWSER_PORT=9494  CHROMIUM_PATH=/usr/bin/chromium

import { readFileSync } from "node:fs";
import {
  env, goLiveOnAir, joinTimings, launchBrowser, machine, ms, newClient, sleep, spread, startOnAir, stopAll, chromiumCpuSeconds,
} from "./common.mjs";

const cameraFps = Number(env("BENCH_MESH_FPS", 30));
const minFps = Number(env("BENCH_MESH_MIN_FPS", 24));
const max = Number(env("BENCH_MESH_MAX", 20));
const deadline = Date.now() + Number(env("BENCH_MESH_MINUTES", 10)) * 60_000;
const settle = Number(env("BENCH_MESH_SETTLE_MS", 5000));
const windowMs = Number(env("BENCH_MESH_WINDOW_MS", 3000));

/** The viewer page's inbound video, from its live peer connection. */
const inbound = (page) =>
  page.evaluate(async () => {
    const pc = window.__benchPeers.filter((p) => p.connectionState === "connected").pop();
    if (!pc) return null;
    let out = null;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        out = { t: s.timestamp, frames: s.framesDecoded ?? 0, fps: s.framesPerSecond, dropped: s.framesDropped, freezes: s.freezeCount };
      }
    });
    return out;
  });

/** The studio's outbound video, one entry per connected viewer. */
const outbound = (page) =>
  page.evaluate(async () => {
    const rows = [];
    for (const pc of window.__benchPeers) {
      if (pc.connectionState !== "connected") continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "outbound-rtp" && s.kind === "video") {
          rows.push({ reason: s.qualityLimitationReason, fps: s.framesPerSecond, w: s.frameWidth, h: s.frameHeight, encoder: s.encoderImplementation });
        }
      });
    }
    return rows;
  });

/** Busy share of all cores (0–100 %) between two /proc/stat readings. */
const cpuTimes = () => {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { idle, total: f.reduce((a, b) => a + b, 0) };
};
const busy = (a, b) => 100 * (1 - (b.idle - a.idle) / (b.total - a.total));

const steps = [];
let stopped = "";
try {
  console.log(`== mesh capacity: fake camera 640×480 at ${cameraFps} fps, stop below ${minFps} fps or on "cpu"; ${machine()}`);
  const onair = await startOnAir();
  const browser = await launchBrowser({ fakeFps: cameraFps });
  const studio = await newClient(browser);
  await goLiveOnAir(studio.page, onair);
  await joinTimings(studio.page);
  await sleep(2000);

  const viewers = [];
  console.log("\n| viewers | join → first frame (ms) | viewer fps min / median / max | viewer getStats fps min | studio sent fps min / max | studio frame size | qualityLimitationReason | Chromium CPU (cores) | machine CPU busy |");
  console.log("| ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |");
  for (let n = 1; n <= max; n++) {
    if (Date.now() > deadline) {
      stopped = `time limit (BENCH_MESH_MINUTES) before viewer ${n}`;
      break;
    }
    const viewer = await newClient(browser);
    await viewer.page.goto(`${onair.base}/watch`);
    let join;
    try {
      join = (await joinTimings(viewer.page, 30_000)).marks.firstFrame;
    } catch {
      stopped = `viewer ${n} showed no frame within 30 s`;
      break;
    }
    viewers.push(viewer);
    await sleep(settle);

    const cpu0 = cpuTimes();
    const chrome0 = chromiumCpuSeconds();
    const wall0 = Date.now();
    const before = await Promise.all(viewers.map((v) => inbound(v.page)));
    await sleep(windowMs);
    const after = await Promise.all(viewers.map((v) => inbound(v.page)));
    const cpu1 = cpuTimes();
    const chromeCores = (chromiumCpuSeconds() - chrome0) / ((Date.now() - wall0) / 1000);
    const sent = await outbound(studio.page);

    const fps = after.map((a, i) => (a && before[i] && a.t > before[i].t ? ((a.frames - before[i].frames) * 1000) / (a.t - before[i].t) : 0));
    const f = spread(fps);
    const statFps = spread(after.map((a) => a?.fps ?? 0));
    const sentFps = spread(sent.map((s) => s.fps ?? 0));
    const sizes = [...new Set(sent.map((s) => `${s.w}×${s.h}`))].join(", ");
    const reasons = Object.entries(sent.reduce((m, s) => ({ ...m, [s.reason]: (m[s.reason] ?? 0) + 1 }), {}))
      .map(([r, c]) => `${r} ×${c}`).join(", ");
    const cpu = busy(cpu0, cpu1);
    steps.push({ n, join, fps, sent, cpu });
    console.log(`| ${n} | ${ms(join)} | ${f.min.toFixed(1)} / ${f.median.toFixed(1)} / ${f.max.toFixed(1)} | ${statFps.min.toFixed(0)} | ${ms(sentFps.min)} / ${ms(sentFps.max)} | ${sizes} | ${reasons} | ${chromeCores.toFixed(2)} | ${cpu.toFixed(0)} % |`);

    if (f.min < minFps) {
      stopped = `a viewer received ${f.min.toFixed(1)} fps (< ${minFps}) with ${n} viewers`;
      break;
    }
    if (sent.some((s) => s.reason === "cpu")) {
      stopped = `the studio reports qualityLimitationReason "cpu" with ${n} viewers`;
      break;
    }
    if (n === max) stopped = `cap of ${max} viewers (BENCH_MESH_MAX) reached`;
  }

  const served = steps.filter((s) => Math.min(...s.fps) >= minFps && !s.sent.some((x) => x.reason === "cpu")).length;
  console.log(`\nstopped: ${stopped}`);
  console.log(`viewers served at ≥ ${minFps} fps with no "cpu" limitation: ${served} (studio and viewers in one Chromium, ${machine()})`);
  for (const v of viewers) await v.context.close();
  await browser.close();
} finally {
  await stopAll();
}

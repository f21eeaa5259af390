// Browser benchmark: mesh capacity, peer to peer beside the relay. Not a test (no
// assertions) and not part of `make test`; scripts/bench.sh runs it with BENCH_BROWSER=1.
//
// For each relay mode of BENCH_RELAY (a fresh OnAir server each, release binary): one
// OnAir studio tab goes live (Chromium's fake camera at 640×480 and BENCH_MESH_FPS frames
// per second, microphone on). Viewers are added one by one, each in its own browser
// context of a second Chromium (the viewers' one), all on this machine. After each
// addition: wait BENCH_MESH_SETTLE_MS, then over BENCH_MESH_WINDOW_MS measure every
// viewer's received frame rate (inbound-rtp framesDecoded delta over the stats timestamps;
// framesPerSecond is printed too), the studio's upload (bytes sent by all its connected
// peer connections' transports), the CPU of the studio's Chromium, of the viewers'
// Chromium and of OnAir's server, in cores, and how busy the machine was (other work
// included); and read the studio's outbound-rtp video of every connection
// (qualityLimitationReason, fps, frame size). A mode's run stops when a viewer plays below
// BENCH_MESH_MIN_FPS, when the studio reports a "cpu" quality limitation, when a viewer
// shows no frame within 30 s, at BENCH_MESH_MAX viewers, or after BENCH_MESH_MINUTES.
//
// `--relay off` (peer to peer): the studio encodes and uploads one stream per viewer, so
// its CPU and upload grow with the audience. `--relay on`: the studio uploads once to the
// relay (WHIP) and every viewer plays from it (WHEP); the studio's CPU and upload should
// stay flat, the server's grows with the packets it forwards. Either way every viewer
// decodes its own stream on the same 2 cores, so the machine's ceiling is the viewers'.
//
//   node end2end/bench/mesh.mjs               (from the repository root, after `make release`)
//
//   BENCH_RELAY="off on"  OnAir's --relay modes, in this order
//   BENCH_MESH_FPS=30  BENCH_MESH_MIN_FPS=24  BENCH_MESH_MAX=20  BENCH_MESH_MINUTES=10 (per mode)
//   BENCH_MESH_SETTLE_MS=5000  BENCH_MESH_WINDOW_MS=3000
//   BENCH_ONAIR_BROWSER_PORT=9494  CHROMIUM_PATH=/usr/bin/chromium  BENCH_ONAIR_BIN / BENCH_SITE_ROOT

import { readFileSync } from "node:fs";
import {
  chromiumCpuSeconds, chromiumRoots, env, goLiveOnAir, joinTimings, launchBrowser, machine, ms, newClient, processCpuSeconds, sleep,
  spread, startOnAir, stopAll, waitUpload,
} from "./common.mjs";

const cameraFps = Number(env("BENCH_MESH_FPS", 30));
const minFps = Number(env("BENCH_MESH_MIN_FPS", 24));
const max = Number(env("BENCH_MESH_MAX", 20));
const minutes = Number(env("BENCH_MESH_MINUTES", 10));
const settle = Number(env("BENCH_MESH_SETTLE_MS", 5000));
const windowMs = Number(env("BENCH_MESH_WINDOW_MS", 3000));
const relayModes = env("BENCH_RELAY", "off on").split(/\s+/).filter(Boolean);

/** The viewer page's inbound video, from its live peer connection (the relay's in relay mode). */
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

/**
 * The studio's outbound video, one entry per connected peer connection (one per viewer
 * peer to peer, the one upload in relay mode), and the bytes all their transports sent.
 */
const outbound = (page) =>
  page.evaluate(async () => {
    const rows = [];
    let bytes = 0;
    for (const pc of window.__benchPeers) {
      if (pc.connectionState !== "connected") continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "outbound-rtp" && s.kind === "video") {
          rows.push({ reason: s.qualityLimitationReason, fps: s.framesPerSecond, w: s.frameWidth, h: s.frameHeight, encoder: s.encoderImplementation });
        }
        if (s.type === "transport") bytes += s.bytesSent ?? 0;
      });
    }
    return { rows, bytes, t: performance.now() };
  });

/** Busy share of all cores (0–100 %) between two /proc/stat readings. */
const cpuTimes = () => {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { idle, total: f.reduce((a, b) => a + b, 0) };
};
const busy = (a, b) => 100 * (1 - (b.idle - a.idle) / (b.total - a.total));

/** One mode's run: viewers added until one of the stop conditions; its rows. */
async function run(relay) {
  const deadline = Date.now() + minutes * 60_000;
  const steps = [];
  let stopped = "";
  const onair = await startOnAir({ relay });
  const studioBrowser = await launchBrowser({ fakeFps: cameraFps });
  const studioRoots = chromiumRoots();
  const viewerBrowser = await launchBrowser();
  const viewerRoots = chromiumRoots().filter((pid) => !studioRoots.includes(pid));
  const viewers = [];
  try {
    const studio = await newClient(studioBrowser);
    await goLiveOnAir(studio.page, onair);
    if (relay === "on") await waitUpload(studio.page);
    await joinTimings(studio.page);
    await sleep(2000);

    console.log(`\n--relay ${relay}: ${machine()}\n`);
    console.log("| viewers | join → first frame (ms) | viewer fps min / median / max | viewer getStats fps min | studio sent fps min / max | studio connections | studio upload (Mbit/s) | studio CPU (cores) | viewers' Chromium CPU (cores) | server CPU (cores) | qualityLimitationReason | machine CPU busy |");
    console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
    for (let n = 1; n <= max; n++) {
      if (Date.now() > deadline) {
        stopped = `time limit (BENCH_MESH_MINUTES) before viewer ${n}`;
        break;
      }
      const viewer = await newClient(viewerBrowser);
      await viewer.page.goto(`${onair.base}/watch`);
      let join;
      try {
        join = (await joinTimings(viewer.page, 30_000)).marks.firstFrame;
      } catch {
        stopped = `viewer ${n} showed no frame within 30 s`;
        await viewer.context.close();
        break;
      }
      viewers.push(viewer);
      await sleep(settle);

      const cpu0 = cpuTimes();
      const [studio0, viewers0, server0] = [chromiumCpuSeconds(studioRoots), chromiumCpuSeconds(viewerRoots), processCpuSeconds(onair.pid)];
      const wall0 = Date.now();
      const sent0 = await outbound(studio.page);
      const before = await Promise.all(viewers.map((v) => inbound(v.page)));
      await sleep(windowMs);
      const after = await Promise.all(viewers.map((v) => inbound(v.page)));
      const sent = await outbound(studio.page);
      const cpu1 = cpuTimes();
      const seconds = (Date.now() - wall0) / 1000;
      const cores = (a, b) => (b - a) / seconds;
      const studioCores = cores(studio0, chromiumCpuSeconds(studioRoots));
      const viewerCores = cores(viewers0, chromiumCpuSeconds(viewerRoots));
      const serverCores = cores(server0, processCpuSeconds(onair.pid));
      const uploadMbps = ((sent.bytes - sent0.bytes) * 8) / (sent.t - sent0.t) / 1000;

      const fps = after.map((a, i) => (a && before[i] && a.t > before[i].t ? ((a.frames - before[i].frames) * 1000) / (a.t - before[i].t) : 0));
      const f = spread(fps);
      const statFps = spread(after.map((a) => a?.fps ?? 0));
      const sentFps = spread(sent.rows.map((s) => s.fps ?? 0));
      const reasons = Object.entries(sent.rows.reduce((m, s) => ({ ...m, [s.reason]: (m[s.reason] ?? 0) + 1 }), {}))
        .map(([r, c]) => `${r} ×${c}`).join(", ");
      const sizes = [...new Set(sent.rows.map((s) => `${s.w}×${s.h}`))].join(", ");
      const cpu = busy(cpu0, cpu1);
      steps.push({ n, join, fps, sent: sent.rows, cpu, uploadMbps, studioCores, viewerCores, serverCores });
      console.log(`| ${n} | ${ms(join)} | ${f.min.toFixed(1)} / ${f.median.toFixed(1)} / ${f.max.toFixed(1)} | ${statFps.min.toFixed(0)} | ${ms(sentFps.min)} / ${ms(sentFps.max)} | ${sent.rows.length} (${sizes}) | ${uploadMbps.toFixed(2)} | ${studioCores.toFixed(2)} | ${viewerCores.toFixed(2)} | ${serverCores.toFixed(2)} | ${reasons} | ${cpu.toFixed(0)} % |`);

      if (f.min < minFps) {
        stopped = `a viewer received ${f.min.toFixed(1)} fps (< ${minFps}) with ${n} viewers`;
        break;
      }
      if (sent.rows.some((s) => s.reason === "cpu")) {
        stopped = `the studio reports qualityLimitationReason "cpu" with ${n} viewers`;
        break;
      }
      if (n === max) stopped = `cap of ${max} viewers (BENCH_MESH_MAX) reached`;
    }
    const served = steps.filter((s) => Math.min(...s.fps) >= minFps && !s.sent.some((x) => x.reason === "cpu")).length;
    console.log(`\n--relay ${relay} stopped: ${stopped}`);
    console.log(`--relay ${relay}: viewers served at ≥ ${minFps} fps with no "cpu" limitation: ${served}`);
    return { relay, steps, served, stopped };
  } finally {
    for (const v of viewers) await v.context.close();
    await viewerBrowser.close();
    await studioBrowser.close();
    await onair.stop();
  }
}

try {
  console.log(`== mesh capacity: fake camera 640×480 at ${cameraFps} fps, stop below ${minFps} fps or on "cpu"; OnAir with --relay ${relayModes.join(", ")}; ${machine()}`);
  const runs = [];
  for (const relay of relayModes) runs.push(await run(relay));

  // Side by side: the studio's cost per audience size, each mode.
  const most = Math.max(...runs.map((r) => r.steps.length));
  console.log(`\n== side by side (${machine()})\n`);
  console.log(`| viewers |${runs.map((r) => ` --relay ${r.relay}: lowest fps / studio upload Mbit/s / studio CPU / viewers' CPU / server CPU |`).join("")}`);
  console.log(`| ---: |${runs.map(() => " ---: |").join("")}`);
  for (let i = 0; i < most; i++) {
    const cells = runs.map((r) => {
      const s = r.steps[i];
      return s ? ` ${Math.min(...s.fps).toFixed(1)} / ${s.uploadMbps.toFixed(2)} / ${s.studioCores.toFixed(2)} / ${s.viewerCores.toFixed(2)} / ${s.serverCores.toFixed(2)} |` : " |";
    });
    console.log(`| ${i + 1} |${cells.join("")}`);
  }
  for (const r of runs) console.log(`--relay ${r.relay}: ${r.served} viewers served at ≥ ${minFps} fps (${r.stopped})`);
} finally {
  await stopAll();
}

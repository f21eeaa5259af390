// Browser benchmark: first frame for a watch-page viewer (WHEP, through the relay) joining a
// running ffmpeg stream (WHIP ingest), with a keyframe every second and every two seconds,
// beside the browser studio publishing to the relay. Not a test (no assertions on timings)
// and not part of `make test`; scripts/bench.sh runs it with BENCH_INGEST=1.
//
// For each case a fresh OnAir (release build) is started; the publisher goes live (ffmpeg:
// a 640×360 30 fps test pattern and a tone, libx264 baseline without B-frames, `-g 30` or
// `-g 60`, libopus, `-f whip` with the admin's stream key; browser: the studio's fake camera
// with `--relay on`), then viewers join one after the other, each in a fresh browser context,
// at a random point of the keyframe interval (1 to 2 s apart). The relay asks the publisher
// for a keyframe when a viewer connects; a browser encoder answers at once, ffmpeg's WHIP
// muxer does not, so there the viewer waits for the encoder's next scheduled keyframe.
//
//   node end2end/bench/ingest.mjs          (from the repository root, after `make release`)
//
//   BENCH_VIEWERS=5                  viewers per case (the median of these)
//   BENCH_INGEST_GOPS="30 60"        ffmpeg's -g values (frames at 30 fps)
//   BENCH_INGEST_STUDIO=1            0 skips the browser-studio case
//   BENCH_FFMPEG=.tools/python/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2
//   BENCH_ONAIR_BROWSER_PORT=9494    CHROMIUM_PATH, BENCH_ONAIR_BIN, BENCH_SITE_ROOT (common.mjs)

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import {
  env, goLiveOnAir, joinTimings, launchBrowser, machine, ms, newClient, root, signIn, sleep, spread, startOnAir, stopAll,
  waitUpload,
} from "./common.mjs";

const viewers = Number(env("BENCH_VIEWERS", 5));
const gops = env("BENCH_INGEST_GOPS", "30 60").split(/\s+/).filter(Boolean).map(Number);
const ffmpegBin = path.resolve(root, env("BENCH_FFMPEG", ".tools/python/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2"));

/** ffmpeg publishing to OnAir's WHIP endpoint; resolves to its `stop()`. */
function startFfmpeg(whipUrl, key, gop) {
  const args = ["-hide_banner", "-loglevel", "error", "-re",
    "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000",
    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", String(gop),
    "-c:a", "libopus", "-ac", "2", "-ar", "48000", "-f", "whip", "-authorization", key, whipUrl];
  const child = spawn(ffmpegBin, args, { stdio: ["ignore", "ignore", "inherit"] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((ok) => child.once("exit", ok));
    child.kill("SIGKILL");
    await exited;
  };
  process.once("exit", () => child.kill("SIGKILL"));
  return { child, stop };
}

/** Signs in and reads the admin's WHIP URL and stream key. */
async function streamKey(page, onair) {
  await signIn(page, onair);
  return page.evaluate(async () => (await fetch("/api/stream-key")).json());
}

/** Waits until the watch page reports the stream live (the encoder's session is up). */
async function waitLive(browser, onair, timeout = 20_000) {
  const probe = await newClient(browser);
  try {
    await probe.page.goto(`${onair.base}/watch`);
    await probe.page.locator("[data-testid='stream-status'][data-state='live']").waitFor({ timeout });
  } finally {
    await probe.context.close();
  }
}

/** Viewers join one after the other; each one's marks. */
async function joins(browser, onair) {
  const rows = [];
  for (let i = 0; i < viewers; i++) {
    // A random phase of the keyframe interval, as real viewers arrive.
    await sleep(1000 + Math.random() * 1000);
    const viewer = await newClient(browser);
    try {
      await viewer.page.goto(`${onair.base}/watch`);
      rows.push(await joinTimings(viewer.page));
    } finally {
      await viewer.context.close();
    }
  }
  return rows;
}

async function ffmpegCase(gop) {
  const onair = await startOnAir({ relay: "auto" });
  const browser = await launchBrowser();
  let ffmpeg;
  try {
    const admin = await newClient(browser);
    const { whipUrl, streamKey: key } = await streamKey(admin.page, onair);
    await admin.context.close();
    ffmpeg = startFfmpeg(whipUrl, key, gop);
    await waitLive(browser, onair);
    await sleep(2000);
    return await joins(browser, onair);
  } finally {
    await ffmpeg?.stop();
    await browser.close();
    await onair.stop();
  }
}

async function studioCase() {
  const onair = await startOnAir({ relay: "on" });
  const browser = await launchBrowser();
  try {
    const studio = await newClient(browser);
    await goLiveOnAir(studio.page, onair);
    await waitUpload(studio.page);
    await sleep(2000);
    return await joins(browser, onair);
  } finally {
    await browser.close();
    await onair.stop();
  }
}

try {
  if (!existsSync(ffmpegBin)) throw new Error(`no ffmpeg with WHIP at ${ffmpegBin}: run scripts/install-tools.sh --tests`);
  console.log(`== first frame joining a running stream through the relay: ${viewers} viewers per case; ${machine()}`);
  const cases = [];
  for (const gop of gops) cases.push({ label: `ffmpeg over WHIP, keyframe every ${(gop / 30).toFixed(0)} s (-g ${gop})`, rows: await ffmpegCase(gop) });
  if (env("BENCH_INGEST_STUDIO", "1") === "1") cases.push({ label: "browser studio, --relay on", rows: await studioCase() });

  const column = (rows, f) => spread(rows.map(f));
  const cell = (s) => `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`;
  console.log(`\n== results (${machine()}; ms, median (min–max) of ${viewers} viewers, in the viewer page's clock)\n`);
  console.log("| publisher | first frame since navigation | welcome → first frame | DTLS connected → first frame decoded (keyframe wait) |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const c of cases) {
    const first = column(c.rows, (t) => t.marks.firstFrame);
    const media = column(c.rows, (t) => t.marks.firstFrame - t.marks.welcome);
    const wait = column(c.rows, (t) => t.marks.decoded - t.marks.connected);
    console.log(`| ${c.label} | ${cell(first)} | ${cell(media)} | ${cell(wait)} |`);
  }
} finally {
  await stopAll();
}

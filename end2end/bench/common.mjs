// Shared by the browser benchmarks (first-frame.mjs, mesh.mjs): the Chromium launch, the
// servers they start and stop, signing in, going live, and the in-page instrumentation.
//
// Not tests: nothing here asserts timings. Playwright is resolved from end2end/node_modules
// (playwright-core, driving Debian's /usr/bin/chromium; nothing is downloaded).

import { createRequire } from "node:module";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "..", "..");
const require = createRequire(path.join(here, "..", "node_modules", "noop.js"));
const { chromium } = require("playwright-core");

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
export const env = (name, fallback) => (process.env[name] === undefined || process.env[name] === "" ? fallback : process.env[name]);

/** Chromium's flags, shared with the tests (end2end/chromium-flags.json). */
export function launchArgs() {
  return JSON.parse(readFileSync(path.join(root, "end2end", "chromium-flags.json"), "utf8")).args;
}

/**
 * A headless Chromium with the tests' flags. `fakeFps` replaces the fake camera's default
 * (640×480 at 20 fps) by the same picture at that frame rate; `cpus` (taskset's list, e.g.
 * "0") keeps all its processes on those CPUs.
 */
export async function launchBrowser({ fakeFps, cpus } = {}) {
  let args = launchArgs();
  if (fakeFps) {
    args = args.map((a) => (a === "--use-fake-device-for-media-stream" ? `${a}=fps=${fakeFps}` : a));
  }
  let executablePath = env("CHROMIUM_PATH", "/usr/bin/chromium");
  let dir = null;
  if (cpus !== undefined) {
    // Playwright starts the executable it is given: a script that starts Chromium pinned
    // (`exec`: once started, Chromium no longer needs it).
    dir = mkdtempSync(path.join(tmpdir(), "pinned-chromium-"));
    const script = path.join(dir, "chromium");
    writeFileSync(script, `#!/bin/sh\nexec taskset -c ${cpus} ${executablePath} "$@"\n`, { mode: 0o755 });
    executablePath = script;
  }
  try {
    return await chromium.launch({ executablePath, headless: true, args });
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function waitHttp(url, child, log) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited; its log:\n${readFileSync(log, "utf8")}`);
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`the server did not answer ${url}`);
}

/**
 * Starts a server process in a fresh temporary folder `dir` (its log: dir/server.log);
 * resolves once `ready(dir)` answers. `stop()` ends it and removes the folder.
 */
async function startProcess(name, cmd, args, { ready, env: extra = {} }) {
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-bbench-`));
  const log = path.join(dir, "server.log");
  const fd = openSync(log, "a");
  const child = spawn(cmd, args(dir), { cwd: root, env: { ...process.env, ...extra }, stdio: ["ignore", fd, fd] });
  const stop = async () => {
    running.delete(stop);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(stop);
  try {
    await waitHttp(ready, child, log);
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: child.pid, stop };
}

const running = new Set();
/** Stops every server this process started (also on Ctrl-C). */
export async function stopAll() {
  for (const stop of [...running]) await stop();
}
process.once("SIGINT", () => stopAll().finally(() => process.exit(130)));
process.once("SIGTERM", () => stopAll().finally(() => process.exit(143)));

/**
 * Where the release build is: OnAir's binary and its site folder. cargo-leptos writes the
 * binary under CARGO_TARGET_DIR when that is set (worktrees sharing one target dir);
 * BENCH_ONAIR_BIN / BENCH_SITE_ROOT name them outright.
 */
export function releaseBuild() {
  const target = env("CARGO_TARGET_DIR", path.join(root, "target"));
  const local = path.join(root, "target", "site");
  const site = env("BENCH_SITE_ROOT", existsSync(path.join(local, "pkg")) ? local : path.join(target, "site"));
  return { bin: env("BENCH_ONAIR_BIN", path.join(target, "release", "onair")), site };
}

/**
 * OnAir's release binary on loopback, with a fresh data folder; `stop()` ends it. `relay`
 * is its `--relay` mode: "off" (peer to peer), "on" (every viewer through the relay) or
 * "auto"; the media port is the HTTP port's number, on UDP.
 */
export async function startOnAir({ port = Number(env("BENCH_ONAIR_BROWSER_PORT", 9494)), relay = "off", build = releaseBuild() } = {}) {
  const password = `bbench-${Math.random().toString(36).slice(2)}`;
  const base = `http://127.0.0.1:${port}`;
  const { bin, site } = build;
  const server = await startProcess(
    "onair",
    bin,
    (dir) => ["--addr", `127.0.0.1:${port}`, "--data-dir", path.join(dir, "data"), "--site-root", site,
      "--ice-server", "none", "--max-viewers", "off", "--relay", relay],
    { ready: `${base}/readyz`, env: { ONAIR_ADMIN_PASSWORD: password, RUST_LOG: "onair=info,warn" } },
  );
  return { base, password, relay, ...server };
}

/** The reference Node server (bench/reference-node), which also serves the plain-JS pages. */
export async function startReference(port = Number(env("BENCH_NODE_BROWSER_PORT", 9495))) {
  const base = `http://127.0.0.1:${port}`;
  const server = await startProcess("node", "node", () => [path.join(root, "bench", "reference-node", "server.js"), String(port)],
    { ready: `${base}/` });
  return { base, ...server };
}

/**
 * Runs in every page before its own scripts. Keeps the page's RTCPeerConnections in
 * `window.__benchPeers` and stamps `window.__bench.marks` (performance.now(), i.e. ms since
 * this page's navigation started) the first time each step of a join happens:
 * wasmInstantiate (WebAssembly.compileStreaming or instantiate[Streaming] first called), wasmCompiled
 * (compileStreaming resolved), wasmReady (instantiate[Streaming] resolved), hydrated (OnAir's `data-hydrated="true"`), wsOpen, welcome, offer (received), answer
 * (sent), useRelay (received), whepPost / whepAnswer (the WHEP `POST` sent / its response
 * arrived), pc (created), track, iceConnected, connected, decoded (the first frame of the
 * remote video track, seen by a probe <video> of the script's own: when the stream became
 * playable, whatever the page does with it), received (that frame's last packet arrived: its
 * `receiveTime`), srcObject (set on a <video>),
 * loadedmetadata, playing, firstFrame (the first requestVideoFrameCallback on the page's
 * own player: a decoded frame handed to the compositor). A streamer page also logs each
 * `newViewer` received, `offer` sent, `answer` received and answer applied (its
 * `setRemoteDescription` resolved) in `window.__bench.events`. Every occurrence of a step
 * (socket created and open, each message in and out by type, peer connection created, local
 * candidate, ICE and DTLS connected) also goes to `window.__benchStep(name)` if a later init
 * script defines it (trace-join.mjs stamps each join's steps that way).
 */
export function instrument() {
  // marks: first time of each step; events: every newViewer received, offer sent, answer
  // received and answer applied (a streamer page's side of each join).
  const bench = (window.__bench = { marks: {}, events: [] });
  const mark = (name, t = performance.now()) => {
    if (!(name in bench.marks)) bench.marks[name] = t;
  };
  const peers = (window.__benchPeers = []);
  const step = (name) => window.__benchStep?.(name);

  // The first frame of the first remote video track, on a video element the page does not
  // know about (outside <body>, which the page hydrates), so that the time the stream
  // became playable is measured apart from when the page shows it.
  const probe = (track) => {
    if ("decoded" in bench.marks || bench.probing) return;
    bench.probing = true;
    const video = document.createElement("video");
    Object.assign(video, { muted: true, autoplay: true, playsInline: true });
    video.style.cssText = "position:fixed;left:0;top:0;width:2px;height:2px;opacity:0.01;pointer-events:none";
    video.__benchWatched = true; // not the page's player: no srcObject/firstFrame marks
    video.requestVideoFrameCallback((now, meta) => {
      mark("decoded", Math.min(now, meta.presentationTime ?? now));
      if (meta.receiveTime) mark("received", meta.receiveTime);
      video.srcObject = null;
      video.remove();
    });
    video.srcObject = new MediaStream([track]);
    document.documentElement.appendChild(video);
    video.play().catch(() => {});
  };

  const NativePc = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePc {
    constructor(config) {
      step("pc:call");
      super(config);
      step("pc:done");
      peers.push(this);
      mark("pc");
      this.addEventListener("track", (e) => {
        mark("track");
        if (e.track.kind === "video") probe(e.track);
      });
      this.addEventListener("icecandidate", (e) => e.candidate && step("localCandidate"));
      this.addEventListener("iceconnectionstatechange", () => {
        if (this.iceConnectionState !== "connected") return;
        mark("iceConnected");
        step("iceConnected");
      });
      this.addEventListener("connectionstatechange", () => {
        if (this.connectionState !== "connected") return;
        mark("connected");
        step("connected");
      });
    }
    setRemoteDescription(desc, ...rest) {
      const applied = super.setRemoteDescription(desc, ...rest);
      if (desc?.type === "answer") applied.then(() => bench.events.push({ type: "answerApplied", t: performance.now() }), () => {});
      return applied;
    }
  };

  const type = (data) => {
    if (typeof data !== "string") return null;
    const m = data.match(/"type"\s*:\s*"([A-Za-z]+)"/);
    return m && m[1];
  };
  const NativeWs = window.WebSocket;
  window.WebSocket = class extends NativeWs {
    constructor(...args) {
      step("wsCreate");
      super(...args);
      mark("wsCreate");
      this.addEventListener("open", () => {
        mark("wsOpen");
        step("wsOpen");
      });
      this.addEventListener("message", (e) => {
        const t = type(e.data);
        if (t) step(`in:${t}`);
        if (t === "welcome" || t === "offer" || t === "useRelay") mark(t);
        if (t === "newViewer" || t === "answer") bench.events.push({ type: t, t: performance.now() });
      });
    }
    send(data) {
      const t = type(data);
      if (t) step(`out:${t}`);
      if (t === "answer") mark("answer");
      if (t === "offer") bench.events.push({ type: t, t: performance.now() });
      return super.send(data);
    }
  };

  const src = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "srcObject");
  Object.defineProperty(HTMLMediaElement.prototype, "srcObject", {
    configurable: true,
    enumerable: src.enumerable,
    get() {
      return src.get.call(this);
    },
    set(value) {
      src.set.call(this, value);
      if (!value || !(this instanceof HTMLVideoElement) || this.__benchWatched) return;
      this.__benchWatched = true;
      mark("srcObject");
      this.addEventListener("loadedmetadata", () => mark("loadedmetadata"), { once: true });
      this.addEventListener("playing", () => mark("playing"), { once: true });
      this.requestVideoFrameCallback((now, meta) => {
        mark("firstFrame", Math.min(now, meta.presentationTime ?? now));
        window.__benchFirstFrame?.();
      });
    },
  });

  // WHEP (a viewer's relay session) and WHIP (the studio's upload) exchanges.
  const nativeFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : input?.url ?? String(input);
    const method = (init?.method ?? input?.method ?? "GET").toUpperCase();
    const kind = method === "POST" && /\/wh(e|i)p/.test(url) ? (/\/whep/.test(url) ? "whep" : "whip") : null;
    if (!kind) return nativeFetch.apply(this, arguments);
    mark(`${kind}Post`);
    bench.events.push({ type: `${kind}Post`, t: performance.now() });
    return nativeFetch.apply(this, arguments).then((r) => {
      mark(`${kind}Answer`);
      bench.events.push({ type: `${kind}Answer`, t: performance.now() });
      return r;
    });
  };

  // The wasm front end's start (the watch page's loader compiles, wasm-bindgen instantiates).
  for (const name of ["compileStreaming", "instantiateStreaming", "instantiate"]) {
    const native = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      mark("wasmInstantiate");
      return native.apply(this, args).then((r) => (mark(name === "compileStreaming" ? "wasmCompiled" : "wasmReady"), r));
    };
  }

  new MutationObserver(() => {
    if (document.querySelector("[data-hydrated='true']")) mark("hydrated");
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-hydrated"] });
}

/** A fresh browser context (cold cache, no cookies) with camera permission and the instrumentation. */
export async function newClient(browser) {
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  await context.addInitScript(instrument);
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`[page error] ${e.message}`));
  page.on("console", (m) => m.type() === "error" && console.log(`[page console] ${m.text()}`));
  // The page says when it shows its first frame (see joinTimings); each document anew.
  await page.exposeFunction("__benchFirstFrame", () => {
    page.__firstFrameSeen = true;
    page.__onFirstFrame?.();
  });
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) page.__firstFrameSeen = false;
  });
  return { context, page };
}

/** Signs in to OnAir's studio as "admin"; resolves once /admin is hydrated. */
export async function signIn(page, onair) {
  await page.goto(`${onair.base}/admin`);
  await page.waitForURL(/\/login$/);
  await page.locator("[data-hydrated='true']").waitFor();
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(onair.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/admin$/);
  await page.locator("[data-hydrated='true']").waitFor();
}

/** Presses Go live in OnAir's studio; resolves once on air. */
export async function goLive(page) {
  await page.getByRole("button", { name: "Go live" }).click();
  await page.locator("[data-testid='broadcast-status'][data-state='live']").waitFor({ timeout: 20_000 });
}

/** Signs in to OnAir's studio and goes live. */
export async function goLiveOnAir(page, onair) {
  await signIn(page, onair);
  await goLive(page);
}

/**
 * In relay mode: waits until the studio's upload to the relay (its one peer connection) is
 * connected, so that viewers join a relay that already has the stream.
 */
export async function waitUpload(page, timeout = 20_000) {
  await page.locator("[data-testid='media-path'][data-path='relay']").waitFor({ timeout });
  await page.waitForFunction(() => window.__benchPeers.some((pc) => pc.connectionState === "connected"), null, { timeout, polling: 50 });
}

/** The plain-JS streamer page (bench/reference-node/stream.html), live. */
export async function goLivePlain(page, reference) {
  await page.goto(`${reference.base}/stream.html`);
  await page.locator("body[data-state='live']").waitFor({ timeout: 20_000 });
}

/** Waits for the page's first video frame; returns its marks and resource timings. */
export async function joinTimings(page, timeout = 30_000) {
  // The page calls back (newClient's exposed function) rather than being polled: polling
  // (waitForFunction) injects Playwright's own script into the page, ~25 ms of its main
  // thread, at the page's load event, which came mid-join on OnAir's page and before the
  // join on the plain one.
  if (!page.__firstFrameSeen) {
    await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no first frame within ${timeout} ms`)), timeout);
      page.__onFirstFrame = () => {
        clearTimeout(timer);
        ok();
      };
    });
  }
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const resources = {};
    for (const r of performance.getEntriesByType("resource")) {
      // Release builds hash the names (onair.<hash>.wasm): keyed by the plain name.
      const name = new URL(r.name).pathname.split("/").pop().replace(/^onair\.[\w-]+\.(wasm|js|css)$/, "onair.$1");
      if (/\.(wasm|js|css)$/.test(name)) resources[name] = { start: r.startTime, end: r.responseEnd, bytes: r.transferSize };
    }
    // The page's first paint (its background) and first contentful paint (its text).
    const paints = Object.fromEntries(performance.getEntriesByType("paint").map((e) => [e.name, e.startTime]));
    return {
      marks: { ...window.__bench.marks },
      firstPaint: paints["first-paint"],
      contentfulPaint: paints["first-contentful-paint"],
      html: nav.responseEnd,
      domContentLoaded: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      resources,
    };
  });
}

/**
 * The streamer page's side of the latest join (ms): `offer`, from its `newViewer` to the offer
 * it sent; `answer`, from the viewer's answer received to its `setRemoteDescription` resolved.
 */
export async function studioTimes(page) {
  return page.evaluate(() => {
    const ev = window.__bench.events;
    const after = (i, type) => (i < 0 ? undefined : ev.slice(i).find((e) => e.type === type));
    const joined = ev.map((e) => e.type).lastIndexOf("newViewer");
    const offer = after(joined, "offer");
    const answered = ev.findIndex((e, i) => i > joined && e.type === "answer");
    const applied = after(answered, "answerApplied");
    return {
      offer: offer ? offer.t - ev[joined].t : NaN,
      answer: applied ? applied.t - ev[answered].t : NaN,
    };
  });
}

/** Every process's parent, name and CPU seconds so far (/proc). */
function processTable() {
  const procs = new Map(); // pid -> { parent, comm, cpu }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[1] ppid, f[11] utime, f[12] stime
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    procs.set(Number(entry), { parent: Number(f[1]), comm, cpu: (Number(f[11]) + Number(f[12])) / 100 }); // USER_HZ 100
  }
  return procs;
}

/** The Chromium processes this script launched (their top processes' ids). */
export function chromiumRoots() {
  return [...processTable()].filter(([, p]) => p.parent === process.pid && /chrom/i.test(p.comm)).map(([pid]) => pid);
}

/**
 * CPU seconds used so far by the Chromium this script launched, all its processes; with
 * `roots` (from chromiumRoots), by those browsers only.
 */
export function chromiumCpuSeconds(roots = chromiumRoots()) {
  const procs = processTable();
  const under = (pid, root) => {
    for (let p = pid; p > 1; p = procs.get(p)?.parent ?? 0) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, p] of procs) if (roots.some((r) => under(pid, r))) total += p.cpu;
  return total;
}

/** CPU seconds used so far by one process (OnAir's server: its threads are counted in it). */
export function processCpuSeconds(pid) {
  return processTable().get(pid)?.cpu ?? NaN;
}

/** Median, min and max of a list of numbers. */
export function spread(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return { n: 0, median: NaN, min: NaN, max: NaN };
  const mid = v.length >> 1;
  return { n: v.length, median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, min: v[0], max: v[v.length - 1] };
}

export const ms = (x) => (Number.isFinite(x) ? x.toFixed(0) : "-");

export function machine() {
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  return `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, load average ${load}`;
}

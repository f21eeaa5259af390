// Browser benchmark: where a join's time goes, thread by thread. Not a test, not part of
// `make test` or `make bench`; a diagnostic for first-frame.mjs's intervals.
//
// Like first-frame.mjs (one streamer page live, viewers joining one at a time, each in a
// fresh browser context), for OnAir and for the plain-JS page, but each join is traced
// (Chromium tracing of the whole browser). The pages stamp their steps with
// `performance.mark` ("J:…" below), which the trace carries in its own clock; the script
// then sums, for each interval between two steps, what the viewer's and the streamer's
// renderer main threads were busy with (self time by trace event name), and how much of
// the interval they were idle, waiting for another thread or process.
//
//   node end2end/bench/trace-join.mjs   (from the repository root, after `make release`)
//
//   BENCH_VIEWERS=4       traced joins per server
//   BENCH_CACHE=cold      cold (a fresh context) or warm (the page visited once before)
//   BENCH_TOP=5           event names listed per interval
//   BENCH_ONAIR_BIN / BENCH_SITE_ROOT (see common.mjs)

import { writeFileSync } from "node:fs";
import path from "node:path";
import { env, goLiveOnAir, goLivePlain, joinTimings, launchBrowser, machine, ms, newClient, sleep, spread, startOnAir, startReference, stopAll } from "./common.mjs";

const viewers = Number(env("BENCH_VIEWERS", 4));
const cache = env("BENCH_CACHE", "cold");
const top = Number(env("BENCH_TOP", 5));

const categories = [
  "toplevel", "blink.user_timing", "devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "blink", "loading",
  "webrtc", "v8.wasm", "disabled-by-default-v8.compile",
];

/**
 * Runs in every page after common.mjs's instrument(): stamps each step of a join, the ones
 * instrument() reports (`window.__benchStep`) and the WebRTC calls, called and resolved.
 */
function stamp() {
  const mark = (name) => performance.mark(`J:${name}`);
  const once = new Set();
  // Before each join: the streamer page stamps that join's steps anew.
  window.__stampReset = () => once.clear();
  const first = (name) => {
    if (!once.has(name)) {
      once.add(name);
      mark(name);
    }
  };
  const P = RTCPeerConnection.prototype;
  const wrap = (method, name) => {
    const native = P[method];
    P[method] = function (...args) {
      const kind = args[0]?.type ? `(${args[0].type})` : "";
      first(`${name}${kind}:call`);
      const r = native.apply(this, args);
      r?.then?.(() => first(`${name}${kind}:done`), () => {});
      return r;
    };
  };
  wrap("createOffer", "createOffer");
  wrap("createAnswer", "createAnswer");
  wrap("setLocalDescription", "SLD");
  wrap("setRemoteDescription", "SRD");
  const nativeAdd = P.addIceCandidate;
  P.addIceCandidate = function (...args) {
    first("addIceCandidate:first");
    return nativeAdd.apply(this, args);
  };
  // The socket's and the connections' steps come from common.mjs's instrument().
  window.__benchStep = first;
}

// The intervals reported, by the marks that bound them (absent marks skip the row).
const viewerIntervals = [
  ["navigation → socket created", "nav", "wsCreate"],
  ["socket created → open", "wsCreate", "wsOpen"],
  ["open → offer in", "wsOpen", "in:offer"],
  ["offer in → peer connection created", "in:offer", "pc:done"],
  ["created → SRD(offer) done", "pc:done", "SRD(offer):done"],
  ["SRD done → createAnswer called", "SRD(offer):done", "createAnswer:call"],
  ["createAnswer called → done", "createAnswer:call", "createAnswer:done"],
  ["createAnswer done → SLD(answer) done", "createAnswer:done", "SLD(answer):done"],
  ["SLD done → answer out", "SLD(answer):done", "out:answer"],
  ["answer out → ICE connected", "out:answer", "iceConnected"],
  ["ICE → connected (DTLS)", "iceConnected", "connected"],
  ["connected → first frame", "connected", "firstFrame"],
];
const studioIntervals = [
  ["newViewer in → createOffer called", "in:newViewer", "createOffer:call"],
  ["createOffer called → done", "createOffer:call", "createOffer:done"],
  ["createOffer done → SLD(offer) done", "createOffer:done", "SLD(offer):done"],
  ["SLD done → offer out", "SLD(offer):done", "out:offer"],
  ["answer in → SRD(answer) done", "in:answer", "SRD(answer):done"],
];

/** The trace's renderer main threads and their events, and each page's marks (µs). */
function parse(trace) {
  const events = trace.traceEvents ?? trace;
  const threadNames = new Map();
  for (const e of events) if (e.ph === "M" && e.name === "thread_name") threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  const marks = new Map(); // pid -> {name: ts}
  for (const e of events) {
    if (!e.name?.startsWith("J:") || !e.cat?.includes("user_timing")) continue;
    const m = marks.get(e.pid) ?? {};
    const name = e.name.slice(2);
    if (!(name in m)) m[name] = e.ts;
    marks.set(e.pid, m);
  }
  return { events, threadNames, marks };
}

/** Self time by event name on one thread within [from, to] (µs), and the thread's busy time. */
function breakdown({ events, threadNames }, pid, threadName, from, to) {
  const tids = [...threadNames].filter(([k, n]) => k.startsWith(`${pid}:`) && n === threadName).map(([k]) => Number(k.split(":")[1]));
  const slices = [];
  const open = new Map();
  for (const e of events) {
    if (e.pid !== pid || !tids.includes(e.tid)) continue;
    if (e.ph === "X" && e.dur !== undefined) slices.push({ name: e.name, ts: e.ts, end: e.ts + e.dur });
    else if (e.ph === "B") (open.get(e.tid) ?? open.set(e.tid, []).get(e.tid)).push(e);
    else if (e.ph === "E") {
      const b = open.get(e.tid)?.pop();
      if (b) slices.push({ name: b.name, ts: b.ts, end: e.ts });
    }
  }
  slices.sort((a, b) => a.ts - b.ts || b.end - a.end);
  const self = new Map();
  let busy = 0;
  const stack = [];
  const clip = (a, b) => Math.max(0, Math.min(b, to) - Math.max(a, from));
  // Self time: a slice's clipped time minus its children's.
  const finish = (s) => {
    const own = clip(s.ts, s.end) - s.children;
    self.set(s.name, (self.get(s.name) ?? 0) + own);
  };
  for (const s of slices) {
    while (stack.length && stack[stack.length - 1].end <= s.ts) finish(stack.pop());
    const c = { ...s, children: 0 };
    if (stack.length) stack[stack.length - 1].children += clip(s.ts, Math.min(s.end, stack[stack.length - 1].end));
    else busy += clip(s.ts, s.end);
    stack.push(c);
  }
  while (stack.length) finish(stack.pop());
  return { busy, self };
}

function report(label, joins, intervals, side) {
  console.log(`\n${label}: ${side}, median over ${joins.length} joins (ms): interval, main thread busy, top self times`);
  for (const [name, a, b] of intervals) {
    const rows = joins.map((j) => j[side]).filter((s) => s && s.marks[a] !== undefined && s.marks[b] !== undefined);
    if (!rows.length) continue;
    const dur = spread(rows.map((s) => (s.marks[b] - s.marks[a]) / 1000)).median;
    const per = rows.map((s) => breakdown(s.trace, s.pid, "CrRendererMain", s.marks[a], s.marks[b]));
    const busy = spread(per.map((p) => p.busy / 1000)).median;
    const names = new Map();
    for (const p of per) for (const [n, t] of p.self) names.set(n, (names.get(n) ?? 0) + t / 1000 / per.length);
    const tops = [...names].filter(([, t]) => t >= 0.3).sort((x, y) => y[1] - x[1]).slice(0, top)
      .map(([n, t]) => `${n} ${t.toFixed(1)}`).join(", ");
    const at = spread(rows.map((s) => (s.marks[b] - (s.marks.nav ?? s.marks[intervals[0][1]])) / 1000)).median;
    console.log(`| ${name} | ${ms(dur)} | ${ms(busy)} | ends at ${ms(at)} | ${tops} |`);
  }
}

async function traceServer(label, start, live, watchPath) {
  const server = await start();
  const browser = await launchBrowser();
  const joins = [];
  try {
    const streamer = await newClient(browser);
    await streamer.context.addInitScript(stamp);
    await live(streamer.page, server);
    await joinTimings(streamer.page);
    await sleep(2000);
    for (let i = 0; i < viewers; i++) {
      const viewer = await newClient(browser);
      await viewer.context.addInitScript(stamp);
      if (cache === "warm") {
        await viewer.page.goto(`${server.base}${watchPath}`);
        await joinTimings(viewer.page);
        await viewer.page.goto("about:blank");
        await sleep(1000);
      }
      await streamer.page.evaluate(() => window.__stampReset());
      await sleep(1500 + Math.random() * 100);
      await browser.startTracing(undefined, { categories });
      await viewer.page.goto(`${server.base}${watchPath}`);
      const t = await joinTimings(viewer.page);
      await sleep(300);
      const raw = (await browser.stopTracing()).toString("utf8");
      if (env("BENCH_TRACE_DIR", "")) writeFileSync(path.join(env("BENCH_TRACE_DIR"), `${label.replace(/\W+/g, "-")}-${i + 1}.json`), raw);
      const parsed = parse(JSON.parse(raw));
      const viewerPid = [...parsed.marks].find(([, m]) => "in:offer" in m)?.[0];
      const studioPid = [...parsed.marks].find(([, m]) => "in:newViewer" in m)?.[0];
      const side = (pid, extra = {}) => pid && { pid, trace: parsed, marks: { ...parsed.marks.get(pid), ...extra } };
      // Navigation start in the trace's clock: a mark's trace time less its performance.now().
      const wsMark = await viewer.page.evaluate(() => performance.getEntriesByName("J:wsCreate")[0]?.startTime);
      const viewerMarks = viewerPid && parsed.marks.get(viewerPid);
      const nav = viewerMarks && wsMark !== undefined ? viewerMarks.wsCreate - wsMark * 1000 : undefined;
      // The first frame, from common.mjs's marks (the page's clock).
      const viewerExtra = nav === undefined ? {} : { nav, firstFrame: nav + t.marks.firstFrame * 1000 };
      joins.push({ viewer: side(viewerPid, viewerExtra), studio: side(studioPid) });
      console.log(`${label} join ${i + 1}: first frame ${ms(t.marks.firstFrame)} ms (viewer pid ${viewerPid}, streamer pid ${studioPid})`);
      await viewer.context.close();
    }
    report(label, joins, viewerIntervals, "viewer");
    const across = (a, b) => spread(joins.map((j) => (b(j) - a(j)) / 1000)).median;
    const v = (m) => (j) => j.viewer?.marks[m] ?? NaN;
    const st = (m) => (j) => j.studio?.marks[m] ?? NaN;
    console.log(`${label}: viewer socket created → streamer's newViewer in ${ms(across(v("wsCreate"), st("in:newViewer")))} ms; `
      + `streamer's offer out → viewer's offer in ${ms(across(st("out:offer"), v("in:offer")))}; `
      + `viewer's answer out → streamer's answer in ${ms(across(v("out:answer"), st("in:answer")))}; `
      + `streamer's first candidate → viewer's offer in ${ms(across(st("localCandidate"), v("in:offer")))}`);
    report(label, joins, studioIntervals, "studio");
    return joins;
  } finally {
    await browser.close();
    await server.stop();
  }
}

try {
  console.log(`== traced joins, ${viewers} per server, ${cache} cache; ${machine()}`);
  await traceServer("OnAir", () => startOnAir({ relay: "off" }), goLiveOnAir, "/watch");
  await traceServer("plain JS", startReference, goLivePlain, "/watch.html");
} finally {
  await stopAll();
}

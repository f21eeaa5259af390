import { test, expect } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { expectPlaying, hydrated, newPage, openViewers, signIn, type Client } from "./helpers";
import { port as ownPort, startServer, stop, waitHealthy } from "./servers";

/** ffmpeg 9 with a WHIP muxer, from the imageio-ffmpeg wheel (`scripts/install-tools.sh --tests`). */
const ffmpegBin = path.resolve("..", ".tools/python/imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2");

/** ffmpeg publishing a 640×360 test pattern and a tone over WHIP, a keyframe every second. */
function publish(whipUrl: string, key: string): ChildProcess {
  const args = ["-hide_banner", "-loglevel", "warning", "-re",
    "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000",
    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", "30",
    "-c:a", "libopus", "-ac", "2", "-ar", "48000", "-f", "whip", "-authorization", key, whipUrl];
  const child = spawn(ffmpegBin, args, { stdio: ["ignore", "inherit", "inherit"] });
  child.on("error", (e) => console.log(`[ffmpeg] ${e.message}`));
  return child;
}

async function kill(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once("exit", ok));
  child.kill("SIGKILL");
  await exited;
}

test("the studio shows the stream key, the live from ffmpeg with its figures and viewers, and ends it", async ({ browser }) => {
  test.skip(!existsSync(ffmpegBin), `no ffmpeg with WHIP at ${ffmpegBin}: run scripts/install-tools.sh --tests`);
  const port = ownPort(5);
  const base = `http://127.0.0.1:${port}`;
  const server = startServer(port, ["--relay", "auto"], "e2e-ingest");
  const clients: Client[] = [];
  let ffmpeg: ChildProcess | undefined;
  try {
    await waitHealthy(base);
    const admin = await newPage(browser);
    clients.push(admin);
    await admin.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await signIn(admin.page, base);
    const studio = admin.page;

    // The stream key panel: the WHIP URL, the key masked until Show, Copy says so.
    await expect(studio.getByTestId("whip-url")).toHaveText(`${base}/whip`);
    const key = studio.getByTestId("stream-key");
    await expect(key).toHaveAttribute("data-shown", "false");
    await expect(key).toHaveText(/^•+$/);
    await studio.getByTestId("show-stream-key").click();
    await expect(key).toHaveAttribute("data-shown", "true");
    await expect(key).not.toHaveText(/•/);
    const streamKey = (await key.textContent())!.trim();
    expect(streamKey.length).toBeGreaterThanOrEqual(22); // ≥ 128 bits, in any of the usual encodings
    await studio.getByTestId("copy-stream-key").click();
    await expect(studio.getByTestId("stream-key-note")).toHaveText("Copied the stream key");
    expect(await studio.evaluate(() => navigator.clipboard.readText())).toBe(streamKey);
    await studio.getByTestId("show-stream-key").click();
    await expect(key).toHaveText(/^•+$/);

    // ffmpeg goes live with the key read from the page; the studio (not streaming itself) shows it.
    ffmpeg = publish((await studio.getByTestId("whip-url").textContent())!.trim(), streamKey);
    await expect(studio.getByTestId("external-client")).toHaveText("Live from ffmpeg (WHIP)", { timeout: 20_000 });
    await expect(studio.getByTestId("capacity")).toContainText("the relay serves every viewer");
    await expect(studio.getByTestId("broadcast-status")).toHaveAttribute("data-state", "live");
    await expect(studio.getByTestId("ingest-resolution")).toHaveText("640×360", { timeout: 15_000 });
    await expect(studio.getByTestId("ingest-codec")).toHaveText("H.264");
    await expect(studio.getByTestId("ingest-bitrate")).toHaveText(/bit\/s$/);
    await expect(studio.getByTestId("ingest-fps")).toHaveText(/^\d+ fps$/);
    await expect(studio.getByTestId("ingest-loss")).toHaveText(/^\d+\.\d %$/);

    // Going live from this tab is refused in words while ffmpeg is live.
    await expect(studio.getByRole("button", { name: "Go live" })).toHaveCount(0);
    await expect(studio.getByTestId("go-live-refusal")).toHaveText(/^ffmpeg is live on this server \(WHIP\)\. End that live first/);

    // A viewer plays the stream from the relay; the studio shows its row with the relay's figures.
    const [viewer] = await openViewers(browser, 1, base);
    clients.push(viewer);
    await expectPlaying(viewer.page);
    expect(await viewer.page.getByTestId("player").evaluate((v: HTMLVideoElement) => v.videoWidth)).toBe(640);
    const rows = studio.getByTestId("viewer-row");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute("data-path", "relay");
    await expect(rows.first().getByTestId("row-bitrate")).toHaveAttribute("data-kbps", /^[1-9]\d*$/, { timeout: 10_000 });

    // A studio opened after the live started (another tab of the signed-in admin) sees it too.
    const late = await admin.context.newPage();
    await late.goto(`${base}/admin`);
    await hydrated(late);
    await expect(late.getByTestId("external-client")).toHaveText("Live from ffmpeg (WHIP)");
    await expect(late.getByTestId("viewer-row")).toHaveCount(1);
    await late.close();

    // End live: the viewer goes offline and ffmpeg's session is gone, so it stops.
    await studio.getByRole("button", { name: "End live" }).click();
    await expect(viewer.page.getByTestId("stream-status")).toHaveAttribute("data-state", "offline", { timeout: 10_000 });
    await expect(studio.getByTestId("external-live")).toHaveCount(0);
    await expect(studio.getByTestId("studio-message")).toContainText("The live from ffmpeg ended");
    await expect(rows).toHaveCount(0);
    // The session is gone for good: ffmpeg's packets revive nothing. (ffmpeg 9's WHIP muxer does not
    // exit on the relay's close_notify: it stops sending and waits until it is killed below.)
    await studio.waitForTimeout(3000);
    await expect(viewer.page.getByTestId("stream-status")).toHaveAttribute("data-state", "offline");
    await expect(studio.getByTestId("external-live")).toHaveCount(0);
    await expect(studio.getByRole("button", { name: "Go live" })).toBeVisible();
  } finally {
    await kill(ffmpeg);
    for (const c of clients) await c.context.close();
    await stop(server);
  }
});

test("rotating the stream key asks first, then shows a new key", async ({ browser }) => {
  const port = ownPort(6);
  const base = `http://127.0.0.1:${port}`;
  const server = startServer(port, ["--relay", "auto"], "e2e-ingest-rotate");
  const admin = await newPage(browser);
  try {
    await waitHealthy(base);
    await signIn(admin.page, base);
    const studio = admin.page;
    await studio.getByTestId("show-stream-key").click();
    const key = studio.getByTestId("stream-key");
    await expect(key).not.toHaveText(/—|•/);
    const before = (await key.textContent())!.trim();
    // Dismissed: nothing changes.
    studio.once("dialog", (d) => d.dismiss());
    await studio.getByTestId("rotate-stream-key").click();
    await expect(key).toHaveText(before);
    studio.once("dialog", (d) => {
      expect(d.message()).toContain("ends");
      return d.accept();
    });
    await studio.getByTestId("rotate-stream-key").click();
    await expect(studio.getByTestId("stream-key-note")).toContainText("New stream key");
    await expect(key).not.toHaveText(before);
    // The page loaded again shows the new key, not the old one.
    const after = (await key.textContent())!.trim();
    await studio.reload();
    await hydrated(studio);
    await studio.getByTestId("show-stream-key").click();
    await expect(key).toHaveText(after);
  } finally {
    await admin.context.close();
    await stop(server);
  }
});

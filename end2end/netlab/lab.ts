// One lab built by lab.sh, seen from the scenarios: where OnAir is, a Chromium inside a LAN
// namespace, the faults, and the studio's view of each viewer.
import { chromium, expect, type Browser, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, appendFileSync } from "node:fs";
import path from "node:path";
import { framesDecoded } from "../tests/helpers";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the lab through end2end/netlab/run.sh`);
  return value;
};

export const lab = {
  prefix: env("NETLAB_PREFIX"),
  index: env("NETLAB_INDEX"),
  dir: env("NETLAB_DIR"),
  turn: process.env.NETLAB_TURN === "on",
  relay: process.env.NETLAB_RELAY ?? "off",
};
export const base = `http://10.77.${lab.index}.1:${process.env.NETLAB_ONAIR_PORT ?? 9400}`;

/** The LANs lab.sh builds (the studio's LAN also holds the "direct" viewer). */
export const Lan = { studio: 1, nat: 2, turnOnly: 3, noUdp: 4 } as const;

const flags = JSON.parse(readFileSync(path.join(__dirname, "..", "chromium-flags.json"), "utf8")).args as string[];

/** A Chromium whose network is LAN `n`'s (Playwright drives it over pipes, which cross namespaces). */
export async function browserIn(n: number): Promise<Browser> {
  const wrapper = path.join(lab.dir, `chromium-l${n}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.prefix}l${n} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
  // The studio's page is not on localhost: let it use the (fake) camera anyway.
  const args = [...flags, `--unsafely-treat-insecure-origin-as-secure=${base}`];
  return chromium.launch({ executablePath: wrapper, args });
}

/** Applies a fault of lab.sh to LAN `n`. */
export function fault(what: "link-down" | "link-up" | "rebind" | "block-relay-udp" | "unblock-relay-udp", n: number) {
  execFileSync(path.join(__dirname, "lab.sh"), ["fault", lab.prefix, lab.index, what, String(n)], { stdio: "inherit" });
}

/** Appends a line to the results run.sh prints at the end. */
export function report(line: string) {
  console.log(`[netlab] ${line}`);
  appendFileSync(path.join(lab.dir, "results.txt"), `${line}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Video decodes again: the decoded count rises over two samples in a row. */
export async function framesRising(page: Page): Promise<boolean> {
  const a = await framesDecoded(page);
  await sleep(300);
  const b = await framesDecoded(page);
  await sleep(300);
  const c = await framesDecoded(page);
  return c > b && b > a;
}

/** Milliseconds from now until `page` decodes video again (fails after `limitMs`). */
export async function timeUntilPlaying(page: Page, limitMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    if (await framesRising(page)) return Date.now() - start - 600;
  }
  throw new Error(`no video within ${limitMs / 1000} s`);
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The studio's viewer ids, to find the row a viewer that just joined got. */
export async function rowIds(studio: Page): Promise<string[]> {
  return studio.getByTestId("viewer-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-viewer-id") ?? ""));
}

/** Waits for a row that is not in `before` and returns its id. */
export async function newRowId(studio: Page, before: string[]): Promise<string> {
  let id = "";
  await expect
    .poll(async () => {
      id = (await rowIds(studio)).find((r) => !before.includes(r)) ?? "";
      return id;
    })
    .not.toBe("");
  return id;
}

export const row = (studio: Page, id: string) => studio.locator(`[data-testid=viewer-row][data-viewer-id="${id}"]`);

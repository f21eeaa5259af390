import { test, expect, type Page } from "@playwright/test";
import { hydrated, newPage, signIn } from "./helpers";

/** Collects Content-Security-Policy violations the page reports. */
const recordViolations = () => {
  const seen: string[] = [];
  (window as any).__cspViolations = seen;
  document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
};

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as any).__cspViolations as string[]);
}

test("every page hydrates under the Content-Security-Policy without a violation", async ({ browser }) => {
  const { context, page } = await newPage(browser);
  await context.addInitScript(recordViolations);
  for (const path of ["/", "/watch", "/watch/code", "/login"]) {
    const res = await page.goto(path);
    expect(res?.headers()["content-security-policy"]).toContain("'strict-dynamic'");
    await hydrated(page);
    expect(await violations(page), path).toEqual([]);
  }
  await signIn(page);
  expect(await violations(page), "/admin").toEqual([]);
  await page.goto("/admin/history");
  await hydrated(page);
  expect(await violations(page), "/admin/history").toEqual([]);
  await context.close();
});

/** Records every WebSocket the page creates (its path), the type of each message sent, and
 * when the wasm starts compiling. */
const recordSocketsAndWasm = () => {
  const w = window as any;
  w.__sockets = [] as { path: string; at: number }[];
  w.__sent = [] as string[];
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      const u = new URL(String(url), location.href);
      w.__sockets.push({ path: u.pathname + u.search, at: performance.now() });
    }
    send(data: string | ArrayBufferLike | Blob | ArrayBufferView) {
      w.__sent.push(typeof data === "string" ? JSON.parse(data).type : "binary");
      super.send(data);
    }
  } as typeof WebSocket;
  for (const name of ["compileStreaming", "instantiateStreaming", "instantiate"] as const) {
    const native = (WebAssembly as any)[name];
    (WebAssembly as any)[name] = function (...args: unknown[]) {
      w.__wasmStart ??= performance.now();
      return native.apply(this, args);
    };
  }
};

test("the watch page opens one /ws socket, before its wasm starts, and hydrates once, under a CSP without 'unsafe-inline'", async ({ browser }) => {
  const { context, page } = await newPage(browser);
  await context.addInitScript(recordViolations);
  await context.addInitScript(recordSocketsAndWasm);
  const res = await page.goto("/watch");
  const csp = res?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("'nonce-");
  expect(csp).not.toContain("unsafe-inline");
  await hydrated(page);
  // The loader's socket joined by its URL; the player got the server's answer (welcome,
  // offline) from what the loader kept, and did not join a second time.
  await expect(page.getByTestId("stream-status")).toHaveAttribute("data-state", "offline");
  // A second loader, hydration or player would open its own socket meanwhile.
  await page.waitForTimeout(1000);
  const { sockets, sent, wasmStart, loaders } = await page.evaluate(() => ({
    sockets: (window as any).__sockets as { path: string; at: number }[],
    sent: (window as any).__sent as string[],
    wasmStart: (window as any).__wasmStart as number,
    loaders: [...document.scripts].filter((s) => s.textContent?.includes(".hydrate()")).length,
  }));
  expect(sockets.map((s) => s.path)).toEqual(["/ws?join=viewer"]);
  expect(sent.filter((type) => type === "viewer"), "one join: the URL's, none sent again").toHaveLength(0);
  // Opened from the HTML by the page's loader, not by the wasm once it runs.
  expect(sockets[0].at).toBeLessThan(wasmStart);
  expect(loaders, "one loader: the page hydrates once").toBe(1);
  await expect(page.getByTestId("player")).toHaveCount(1);
  expect(await violations(page)).toEqual([]);
  await context.close();
});

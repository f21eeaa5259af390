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

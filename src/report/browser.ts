/**
 * Opens an HTML report in headless Chromium (Debian's, driven by playwright-core; no browser
 * download) and checks it as a reader would see it: every chart drawn by plotly (its
 * `.main-svg` on the page, the PNG fallback replaced), no console errors or warnings, and
 * with JavaScript off every PNG fallback loaded. Optionally keeps a full-page screenshot.
 *
 * playwright-core probes /proc at import, which Deno allows only with --allow-all: run this
 * through `deno task check-report` (tasks/check_report.ts), not inside a narrower process.
 * @module
 */
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, ensureChromium } from "./setup.ts";

/** What the browser saw. */
export interface BrowserCheck {
  /** Figures on the page (`.plot` elements). */
  figures: number;
  /** `.main-svg` elements per figure after plotly drew it (0 = not rendered). */
  mainSvgPerFigure: number[];
  /** PNG fallbacks still on the page with JavaScript on (0 when plotly drew every chart). */
  fallbacksLeft: number;
  /** Natural widths of the PNG fallbacks with JavaScript off (0 = did not load). */
  fallbackWidthsWithoutJs: number[];
  /** Claims-table verdict badges. */
  badges: number;
  /** Console errors and warnings, and uncaught page errors. */
  problems: string[];
  screenshot: string | null;
}

/** Loads `htmlPath` in headless Chromium and reports what rendered. */
export async function checkReportInBrowser(
  htmlPath: string,
  opts: { screenshot?: string; timeoutMs?: number } = {},
): Promise<BrowserCheck> {
  const executablePath = await ensureChromium();
  const url = pathToFileURL(htmlPath).href;
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") {
        problems.push(`console ${m.type()}: ${m.text()}`);
      }
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(url, { waitUntil: "load" });
    const figures = await page.locator(".plot").count();
    try {
      await page.waitForFunction(
        'document.querySelectorAll(".plot img.fallback").length === 0',
        null,
        {
          timeout: opts.timeoutMs ?? 30000,
        },
      );
    } catch {
      problems.push("plotly did not replace every PNG fallback in time");
    }
    const mainSvgPerFigure = await page.$$eval(
      ".plot",
      (els) => els.map((el) => el.querySelectorAll(".main-svg").length),
    );
    const fallbacksLeft = await page.locator(".plot img.fallback").count();
    const badges = await page.locator(".badge").count();
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });

    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const still = await noJs.newPage();
    await still.goto(url, { waitUntil: "load" });
    const fallbackWidthsWithoutJs = await still.$$eval(
      "img.fallback",
      (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
    );
    await noJs.close();
    return {
      figures,
      mainSvgPerFigure,
      fallbacksLeft,
      fallbackWidthsWithoutJs,
      badges,
      problems,
      screenshot: opts.screenshot ?? null,
    };
  } finally {
    await browser.close();
  }
}

/** Why a check fails, or an empty list when the report reads well. */
export function browserCheckFailures(c: BrowserCheck): string[] {
  const out = [...c.problems];
  c.mainSvgPerFigure.forEach((n, i) =>
    n === 0 && out.push(`figure ${i + 1} was not drawn by plotly`)
  );
  if (c.fallbacksLeft > 0) out.push(`${c.fallbacksLeft} PNG fallbacks left with JavaScript on`);
  if (c.fallbackWidthsWithoutJs.length !== c.figures) {
    out.push(`${c.fallbackWidthsWithoutJs.length} PNG fallbacks for ${c.figures} figures`);
  }
  c.fallbackWidthsWithoutJs.forEach((w, i) =>
    w === 0 && out.push(`PNG fallback ${i + 1} did not load without JavaScript`)
  );
  return out;
}

// What the browser tests share: the real app (startAtelier) and real Chromium, screenshots into
// test-artifacts/screenshots/ (ignored by git; a person looks at them), and a few in-page checks
// written as strings, since test code is type-checked without the DOM library.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { startAtelier, type AtelierOptions, type RunningAtelier } from './atelier-app.ts';
import { chromiumBinary, launchChromium } from './chromium.ts';

export const SCREENSHOT_DIR = resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  const binary = chromiumBinary();
  return 'skip' in binary ? binary.skip : undefined;
}

export interface GallerySession {
  readonly atelier: RunningAtelier;
  readonly browser: Browser;
  /** A fresh page (own storage) on the gallery; `narrow` is a phone-sized viewport. */
  page(options?: { narrow?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

export async function openGallerySession(options: AtelierOptions = {}): Promise<GallerySession> {
  const atelier = await startAtelier(options);
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await atelier.close();
    throw err;
  }
  return {
    atelier, browser,
    async page({ narrow = false } = {}) {
      const context = await browser.newContext({ viewport: narrow ? { width: 390, height: 844 } : { width: 1200, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      // A page error is a bug in the UI: fail loudly instead of timing out on a blank screen.
      page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
      await page.goto(`${atelier.url}/`);
      return page;
    },
    async close() {
      await browser.close();
      await atelier.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Signs in with the keyboard only: type the key, press Enter. */
export async function signIn(page: Page, apiKey: string): Promise<void> {
  await page.getByLabel('API key').fill(apiKey);
  await page.getByLabel('API key').press('Enter');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Controls without an accessible name on the current screen (should be none). */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll('input, select, textarea, button')].filter((el) => {
    const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.labels && el.labels.length > 0);
    return !(named || (el.tagName === 'BUTTON' && el.textContent.trim()));
  }).map((el) => el.outerHTML.slice(0, 120))`);
}

/** True when the page scrolls sideways (content wider than the viewport). */
export function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1');
}

/** Records every status line job cards show, in order, into window.__statuses. */
export async function recordJobStatuses(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__statuses = [];
    const seen = () => { for (const el of document.querySelectorAll('.job-status')) { const t = el.textContent; if (window.__statuses.at(-1) !== t) window.__statuses.push(t); } };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
}

export function recordedStatuses(page: Page): Promise<string[]> {
  return page.evaluate('window.__statuses');
}

/** Waits until every image inside `scope` has loaded real pixels (blob: URLs fetched with the key). */
export async function imagesLoaded(scope: Locator, count: number): Promise<void> {
  const images = scope.locator('img');
  await images.nth(count - 1).waitFor();
  await scope.page().waitForFunction(
    ([root, n]) => {
      const imgs = Array.from((root as { querySelectorAll(s: string): ArrayLike<{ complete: boolean; naturalWidth: number; src: string }> }).querySelectorAll('img'));
      return imgs.length >= (n as number) && imgs.every((im) => im.complete && im.naturalWidth > 0 && im.src.startsWith('blob:'));
    },
    [await scope.elementHandle(), count] as const,
  );
}

/** Waits until `locator` matches exactly `count` elements (the page's CSP forbids string predicates). */
export async function waitForCount(locator: Locator, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = await locator.count();
  while (seen !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} elements for ${locator}, found ${seen} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
    seen = await locator.count();
  }
}

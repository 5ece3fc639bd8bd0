// The unhappy paths in real Chromium against the real app: a wrong key, a job cancelled while it
// runs, and a job that fails (the backend refuses one marked word) showing its reason.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkipReason, openGallerySession, screenshot, signIn, type GallerySession } from '../../support/web-gallery.ts';

const skip = browserSkipReason();
const UNPAINTABLE = 'unpaintable';

async function generate(page: Page, prompt: string, fields: { steps?: string; candidates?: string; personalizationOff?: boolean } = {}): Promise<void> {
  await page.getByLabel('Prompt', { exact: true }).fill(prompt);
  await page.getByLabel('Number of images').fill('1');
  if (fields.candidates) await page.getByLabel('Candidates').fill(fields.candidates);
  if (fields.personalizationOff) await page.getByLabel('Personalization').press('Home');
  if (fields.steps) {
    if (!(await page.getByLabel('Steps', { exact: true }).isVisible())) await page.getByText('Advanced').click();
    await page.getByLabel('Steps', { exact: true }).fill(fields.steps);
  }
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
}

describe('web gallery: wrong key, cancel, failure', { skip }, () => {
  let session: GallerySession;
  let page: Page;
  let key: string;

  before(async () => {
    session = await openGallerySession({ failPrompt: UNPAINTABLE });
    key = await session.atelier.createUser('grace');
    page = await session.page();
  });
  after(async () => session?.close());

  test('a wrong key gets a clear message and stays on the sign-in screen', async () => {
    await page.getByLabel('API key').fill('atl_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /not accepted \(401\)/);
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
    assert.equal(await page.evaluate('localStorage.getItem("atelier.apiKey")'), null, 'a refused key is not kept');
    await screenshot(page, 'sign-in-wrong-key');
    await signIn(page, key);
  });

  // The most steps and candidates the API takes: tens of seconds here, cancelled long before the end.
  const LONG = { steps: '150', candidates: '32' };
  // A few seconds: long enough for another job to queue behind it.
  const MEDIUM = { steps: '150', candidates: '4' };

  test('a running job is cancelled from its card', async () => {
    await generate(page, 'a purple checkered cross, under a spotlight', LONG);
    const card = page.locator('.job-card').first();
    await card.getByText(/Running: step \d+ of 150/).waitFor();
    await card.getByRole('button', { name: 'Cancel' }).click();
    await card.getByText(/^Cancelled/).waitFor();
    assert.equal(await card.getAttribute('data-state'), 'cancelled');
    assert.equal(await card.getByRole('button', { name: 'Cancel' }).count(), 0, 'no cancel button once it is over');
    assert.equal(await card.locator('img').count(), 0);

    const jobId = (await card.getAttribute('data-job-id'))!;
    const job = (await (await fetch(`${session.atelier.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { state: string; images: unknown[] };
    assert.equal(job.state, 'cancelled');
    assert.deepEqual(job.images, []);
    await screenshot(page, 'job-cancelled');
  });

  test('a job queued behind a running one shows its place, then runs', async () => {
    await generate(page, 'an orange outlined triangle', MEDIUM);
    const longId = (await page.locator('.job-card').first().getAttribute('data-job-id'))!;
    const long = page.locator(`[data-job-id="${longId}"]`);
    await long.getByText(/Running: step \d+ of 150/).waitFor();
    // The embedded worker runs one job at a time: the next one waits behind the long one.
    await generate(page, 'a yellow square', { steps: '20', candidates: '1' });
    const next = page.locator('.job-card').first();
    assert.notEqual(await next.getAttribute('data-job-id'), longId);
    await next.getByText(/^Queued: (next in line|\d+ jobs? ahead)$/).waitFor();
    await screenshot(page, 'job-running');
    await long.getByText('Done: 1 image').waitFor();
    await next.getByText('Done: 1 image').waitFor();
    await screenshot(page, 'job-queue-done');
  });

  test('a failed job shows its reason', async () => {
    await generate(page, `an ${UNPAINTABLE} circle`, { personalizationOff: true });
    const card = page.locator('.job-card').first();
    await card.getByText(/^Failed: /).waitFor();
    assert.match((await card.locator('.job-status').textContent()) ?? '', /Failed: .*"unpaintable" cannot be painted/);
    assert.equal(await card.getAttribute('data-state'), 'failed');
    await screenshot(page, 'job-failed');
  });

  test("a refused request shows the API's reason, naming the field", async () => {
    await page.getByLabel('Prompt', { exact: true }).fill('a red circle '.repeat(40));
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const alert = page.locator('form').getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /prompt: at most \d+ tokens/);
  });
});

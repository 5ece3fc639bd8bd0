// End to end in real Chromium against the real app (embedded, bundled model): sign in, generate
// and watch the progress bar advance, see the images, rate and comment, choose in onboarding,
// find the learned attribute in the profile, and see it applied to the next generation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  browserSkipReason, imagesLoaded, openGallerySession, overflowsSideways, recordedStatuses, recordJobStatuses, screenshot, signIn, unlabelledControls, waitForCount,
  type GallerySession,
} from '../../support/web-gallery.ts';
import { vocabulary } from '../../../scripts/world/vocabulary.ts';

const skip = browserSkipReason();
const PROMPT = 'a red striped circle, on a teal background';

describe('web gallery: teach it your taste', { skip }, () => {
  let session: GallerySession;
  let page: Page;
  let key: string;

  before(async () => {
    session = await openGallerySession();
    page = await session.page();
  });
  after(async () => session?.close());

  test('signs in with an API key, kept across a reload', async () => {
    key = await session.atelier.createUser('ada');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    await screenshot(page, 'sign-in');
    await signIn(page, key);
    await page.reload();
    await page.getByRole('heading', { name: 'Generate', exact: true }).waitFor();
  });

  test('generates: the progress bar advances step by step, then the images appear', async () => {
    await page.getByLabel('Prompt', { exact: true }).fill(PROMPT);
    await page.getByLabel('Number of images').fill('2');
    await page.getByLabel('Candidates').fill('4');
    await page.getByText('Advanced').click();
    await page.getByLabel('Steps', { exact: true }).fill('60');
    assert.deepEqual(await unlabelledControls(page), []);
    await recordJobStatuses(page);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();

    const card = page.locator('.job-card').first();
    await card.getByText('Done: 2 images').waitFor();
    const steps = (await recordedStatuses(page)).map((s) => /step (\d+) of 60/.exec(s)?.[1]).filter((s) => s !== undefined).map(Number);
    assert.ok(steps.length >= 2, `saw at least two progress steps, got ${JSON.stringify(await recordedStatuses(page))}`);
    assert.ok(steps.every((s, i) => i === 0 || s > steps[i - 1]!), `steps only go up: ${steps}`);
    assert.equal(await card.locator('progress').getAttribute('value'), '1');
    await imagesLoaded(card, 2);
    await screenshot(page, 'generate');
  });

  test('rates an image with a comment, from its detail page', async () => {
    await page.locator('.job-card').first().getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Image', exact: true }).waitFor();
    const facts = page.getByRole('definition');
    await facts.filter({ hasText: PROMPT }).first().waitFor();
    await page.getByText('Scores among candidates').waitFor();
    assert.match(await page.locator('.facts').textContent() ?? '', /rank 1, of 4|of 4/);
    await imagesLoaded(page.locator('figure'), 1);

    await page.getByRole('radio', { name: 'Like', exact: true }).check();
    await page.getByLabel(/^Comment/).fill('I love the teal background!');
    assert.deepEqual(await unlabelledControls(page), []);
    await page.getByRole('button', { name: 'Save rating' }).click();
    await page.getByRole('status').filter({ hasText: 'Rating and comment saved' }).waitFor();
    await screenshot(page, 'image-detail');
  });

  test('onboarding: a pair is chosen with the left arrow key and the counter moves', async () => {
    await page.getByRole('link', { name: 'Which do you prefer?' }).click();
    const counter = page.locator('.counter');
    await counter.filter({ hasText: /rests on \d+/ }).waitFor();
    const before = Number(/rests on (\d+)/.exec((await counter.textContent()) ?? '')?.[1]);
    await imagesLoaded(page.locator('.pair'), 2);
    await screenshot(page, 'onboarding');
    await page.keyboard.press('ArrowLeft');
    await counter.filter({ hasText: '1 chosen this session' }).waitFor();
    const afterChoice = Number(/rests on (\d+)/.exec((await counter.textContent()) ?? '')?.[1]);
    assert.equal(afterChoice, before + 1, 'the profile rests on one more choice');
  });

  test('the profile shows the attribute learned from the comment, as an editable chip', async () => {
    await page.getByRole('link', { name: 'Profile' }).click();
    const liked = page.locator('.chip-box.liked');
    await liked.locator('[data-attribute="teal background"]').waitFor();
    assert.ok(await page.getByLabel('Weight of liked “teal background”').isVisible());
    assert.deepEqual(await unlabelledControls(page), []);
    await screenshot(page, 'profile');
  });

  test("the next generation's detail shows the learned attribute applied", async () => {
    await page.getByRole('link', { name: 'Generate', exact: true }).click();
    await page.getByLabel('Prompt', { exact: true }).fill('a blue square');
    await page.getByLabel('Number of images').fill('1');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const card = page.locator('.job-card').first();
    await card.getByText('Done: 1 image').waitFor();
    await card.getByRole('link').first().click();
    const applied = page.locator('.facts > div').filter({ has: page.locator('dt', { hasText: /^Liked attributes applied$/ }) });
    await applied.waitFor();
    assert.match((await applied.textContent()) ?? '', /teal background/);
    assert.match((await page.locator('.facts').textContent()) ?? '', /Personalization\s*on/);
  });

  test('compare: the same prompt and seed with personalization off and on, side by side', async () => {
    await page.getByRole('link', { name: 'Compare' }).click();
    await page.getByLabel('Prompt', { exact: true }).fill('a green triangle');
    await page.getByLabel('Seed', { exact: true }).fill('1234');
    await page.getByRole('button', { name: 'Compare' }).click();
    const off = page.getByRole('article', { name: 'Personalization off' });
    const on = page.getByRole('article', { name: 'Personalization on' });
    await off.getByText('Done: 1 image').waitFor();
    await on.getByText('Done: 1 image').waitFor();
    await imagesLoaded(off, 1);
    await imagesLoaded(on, 1);
    await screenshot(page, 'compare');

    const api = async <T>(path: string) => (await (await fetch(`${session.atelier.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).json()) as T;
    type Job = { images: { id: string; seed: number }[] };
    type Image = { profile: { liked: { attribute: string }[] } | null };
    const [jobOff, jobOn] = await Promise.all([off, on].map(async (card) => api<Job>(`/v1/jobs/${await card.getAttribute('data-job-id')}`)));
    assert.deepEqual([jobOff!.images[0]!.seed, jobOn!.images[0]!.seed], [1234, 1234], 'both sides come from the same seed');
    const [imageOff, imageOn] = await Promise.all([api<Image>(`/v1/images/${jobOff!.images[0]!.id}`), api<Image>(`/v1/images/${jobOn!.images[0]!.id}`)]);
    assert.equal(imageOff.profile, null, 'off: no profile used');
    assert.ok(imageOn.profile?.liked.some((a) => a.attribute === 'teal background'), 'on: the profile was used');
  });

  test('gallery: newest first, filters by rating and prompt text, fits a phone screen', async () => {
    await page.getByRole('link', { name: 'Gallery' }).click();
    const grid = page.getByRole('list', { name: 'Your images, newest first' });
    // 2 from the first generation, 1 from the second, 2 from the comparison.
    await grid.locator('li').nth(4).waitFor();
    assert.equal(await grid.locator('li').count(), 5);
    assert.deepEqual(await grid.locator('li .caption').allTextContents(), ['a green triangle', 'a green triangle', 'a blue square', PROMPT, PROMPT]);
    await imagesLoaded(grid, 5);
    await screenshot(page, 'gallery');

    await page.getByLabel('Rating', { exact: true }).selectOption('like');
    await page.getByRole('button', { name: 'Filter' }).click();
    await waitForCount(grid.locator('li'), 1);
    assert.equal(await grid.locator('li .caption').textContent(), PROMPT);

    await page.getByLabel('Rating', { exact: true }).selectOption('');
    await page.getByLabel('Prompt contains').fill('SQUARE');
    await page.getByLabel('Prompt contains').press('Enter');
    await grid.locator('.caption', { hasText: 'a blue square' }).waitFor();
    await waitForCount(grid.locator('li'), 1);
    assert.equal(await grid.locator('li .caption').textContent(), 'a blue square');

    const phone = await session.page({ narrow: true });
    await signIn(phone, key);
    await phone.goto(`${session.atelier.url}/#/gallery`);
    await imagesLoaded(phone.getByRole('list', { name: 'Your images, newest first' }), 5);
    assert.equal(await overflowsSideways(phone), false, 'no sideways scrolling at 390 px');
    await screenshot(phone, 'gallery-narrow');
  });

  test('profile: a disliked chip is added and saved, then the profile is reset', async () => {
    await page.goto(`${session.atelier.url}/#/profile`);
    const disliked = page.locator('.chip-box.disliked');
    await page.getByLabel('Add a disliked attribute').fill('charcoal background');
    await disliked.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor();
    await page.reload();
    await disliked.locator('[data-attribute="charcoal background"]').waitFor();

    await page.getByRole('button', { name: 'Reset profile…' }).click();
    await page.getByRole('button', { name: 'Yes, reset' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile reset' }).waitFor();
    assert.equal(await page.locator('.chip-box [data-attribute]').count(), 0, 'no chips after a reset');
  });

  test('onboarding from nothing: a new user makes the onboarding set, then chooses between its images', async () => {
    const newcomer = await session.atelier.createUser('bo');
    const fresh = await session.page();
    await signIn(fresh, newcomer);
    await fresh.goto(`${session.atelier.url}/#/onboarding`);
    await fresh.getByRole('heading', { name: 'Which do you prefer?' }).waitFor();
    assert.deepEqual(await unlabelledControls(fresh), []);
    await screenshot(fresh, 'onboarding-empty');
    await fresh.getByRole('button', { name: 'Make my onboarding set' }).click();
    await imagesLoaded(fresh.locator('.pair'), 2);
    await fresh.keyboard.press('ArrowRight');
    await fresh.locator('.counter').filter({ hasText: '1 chosen this session' }).waitFor();
    // The pool is the service's set: 16 images, every background of the world among them.
    const list = await (await fetch(`${session.atelier.url}/v1/images?limit=100`, { headers: { authorization: `Bearer ${newcomer}` } })).json() as { images: { prompt: string }[] };
    assert.equal(list.images.length, 16);
    const backgrounds = new Set(list.images.map((im) => /on an? (\w+) background/.exec(im.prompt)?.[1]));
    assert.deepEqual([...backgrounds].sort(), [...vocabulary.families.background!.values].sort());
  });
});

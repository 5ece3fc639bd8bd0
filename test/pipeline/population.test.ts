// The population prior from a real store: users onboard through the feedback loop, the prior
// is fitted from their history (pipeline/population.ts, and `npm run prior:fit` end to end),
// and a new user starts from what they share.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { DiskImageFiles } from '../../adapters/store/image-files.ts';
import { openSqliteStore } from '../../adapters/store/sqlite.ts';
import { FeedbackLoop } from '../../pipeline/feedback.ts';
import { Personalizer } from '../../pipeline/personalizer.ts';
import type { NewImage } from '../../pipeline/ports.ts';
import { fitPopulationPriors, NotEnoughHistoryError, PRIOR_FILE } from '../../pipeline/population.ts';
import { AttributeCatalog } from '../../prefs/attributes.ts';
import { LocalAttributeExtractor } from '../../prefs/local-extractor.ts';
import { isotropicPrior } from '../../prefs/prior.ts';
import { mulberry32 } from '../../scripts/world/prng.ts';
import { vocabulary } from '../../scripts/world/vocabulary.ts';
import { ROOT } from '../helpers.ts';

const catalog = AttributeCatalog.create({ world: vocabulary });
const DIM = 64; // the bundled embedder's width, so the script's personalizer can read this store
let dir: string;
let store: Awaited<ReturnType<typeof openSqliteStore>>;
let personalizer: Personalizer;
let feedback: FeedbackLoop;
const r = mulberry32(5);
const backgrounds = vocabulary.families.background!.values;
const colours = vocabulary.families.colour!.values;

/** A user with 12 images of random colours and backgrounds; returns their ids and backgrounds. */
async function userWithImages(name: string): Promise<{ userId: string; images: { id: string; background: string }[] }> {
  const { user } = await store.createUser(name);
  const jobId = `job-${name}`;
  await store.createJob({ id: jobId, userId: user.id, request: { prompt: 'a shape' } });
  const files = new DiskImageFiles(dir);
  const params = { prompt: 'a shape', negativePrompt: '', steps: 4, guidance: 4, width: 8, height: 8, scheduler: 'ddim', model: 'test' };
  const rows: (NewImage & { background: string })[] = [];
  for (let seed = 0; seed < 12; seed++) {
    const background = backgrounds[Math.floor(r() * backgrounds.length)]!;
    const colour = colours[Math.floor(r() * colours.length)]!;
    const file = await files.save({ seed, width: 8, height: 8, pixels: new Uint8Array(192).fill(seed) }, params);
    const e = Array.from({ length: DIM }, () => r() - 0.5);
    const n = Math.hypot(...e);
    rows.push({
      jobId, userId: user.id, seed, file, params, rewrittenPrompt: 'a shape', profile: null, scores: {},
      embedding: e.map((x) => x / n), attributes: [colour, `${background} background`], background,
    });
  }
  const saved = await store.saveImages(rows.map(({ background: _b, ...row }) => row));
  return { userId: user.id, images: saved.map((s, i) => ({ id: s.id, background: rows[i]!.background })) };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atelier-population-'));
  store = await openSqliteStore(join(dir, 'atelier.db'));
  personalizer = new Personalizer({ catalog, prior: isotropicPrior(DIM, 1), extractor: new LocalAttributeExtractor(catalog) });
  feedback = new FeedbackLoop({ history: store, images: store, personalizer });
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test('under 2 users with enough judgements, nothing is fitted', async () => {
  await assert.rejects(fitPopulationPriors(personalizer, store), NotEnoughHistoryError);
});

test('a prior fitted from users who all like teal backgrounds: a new user starts liking them', async () => {
  for (let u = 0; u < 12; u++) {
    const { userId, images } = await userWithImages(`fan-${u}`);
    // Onboarding as the product asks it; the person picks the teal one, else at random.
    for (let i = 0; i < 8; i++) {
      const pair = (await feedback.nextPair(userId))!;
      const bg = (id: string) => images.find((im) => im.id === id)!.background;
      const aWins = bg(pair.a) === 'teal' || (bg(pair.b) !== 'teal' && r() < 0.5);
      await feedback.record(userId, [{ kind: 'choice', winner: aWins ? pair.a : pair.b, loser: aWins ? pair.b : pair.a, at: i }]);
    }
  }
  const { userId: newcomer } = await userWithImages('newcomer');
  assert.deepEqual((await feedback.profile(newcomer)).liked, [], 'isotropic: no opinion before the fit');
  const { priors, json } = await fitPopulationPriors(personalizer, store, { rank: 3 });
  assert.equal(json.fitted.users, 12);
  assert.equal(json.fitted.judgements, 96);
  assert.deepEqual(json.attributes.keys, [...personalizer.space.attributes.keys]);
  personalizer.setPriors(priors);
  const profile = await feedback.profile(newcomer);
  assert.equal(profile.liked[0]?.attribute, 'teal background', JSON.stringify(profile.liked));
  assert.equal(profile.evidence, 0);
});

test('npm run prior:fit writes DATA_DIR/prior.json, and a personalizer built there starts from it', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/fit-prior.ts', '--rank', '3'], {
    cwd: ROOT, env: { ...process.env, DATA_DIR: dir, REDIS_URL: '', DATABASE_URL: '' },
  });
  assert.match(stdout, /fitted on 12 users \(96 ratings and choices\)/);
  const path = join(dir, PRIOR_FILE);
  assert.ok(existsSync(path));
  const json = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(json.image.dim, DIM);
  const { createPersonalizer, loadEmbedder } = await import('../../adapters/wire.ts');
  const embedder = await loadEmbedder({ log: () => {} });
  try {
    const fromFile = createPersonalizer({ embedder, priorPaths: [path] });
    assert.deepEqual([...fromFile.prior.mean], json.image.mean);
    const rel = fromFile.space.attributes.relative(fromFile.space.attributePrior.mean);
    assert.ok(rel[fromFile.space.attributes.axis('teal background')!]! > 0.3);
  } finally {
    await embedder.release();
  }
});

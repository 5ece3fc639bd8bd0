// `npm run prior:fit`: fits the population prior from every user's ratings and choices in the
// configured store (SQLite under DATA_DIR, or DATABASE_URL) and writes DATA_DIR/prior.json,
// which the server and workers load at start (restart them to use a new one). Run it now and
// then as the user base grows; with fewer than 2 users who judged 4+ images it writes nothing.
//   npm run prior:fit -- [--rank 6] [--max-users 10000] [--min-judgements 4]
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildServices, fitPopulationPriors, loadServiceRuntime, NotEnoughHistoryError, PRIOR_FILE, readConfig } from '../adapters/wire.ts';

const { values } = parseArgs({ options: { rank: { type: 'string', default: '6' }, 'max-users': { type: 'string', default: '10000' }, 'min-judgements': { type: 'string', default: '4' } } });
const int = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a positive integer, got ${JSON.stringify(v)}`);
  return n;
};
const options = { rank: int('rank', values.rank), maxUsers: int('max-users', values['max-users']), minJudgements: int('min-judgements', values['min-judgements']) };
const config = readConfig(process.env);
const services = await buildServices(config);
const runtime = await loadServiceRuntime(config, { generate: false, log: () => {} });
try {
  const t0 = performance.now();
  const { json } = await fitPopulationPriors(runtime.personalizer, services.store, options);
  const path = join(config.dataDir, PRIOR_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(json));
  await rename(`${path}.tmp`, path); // a reader sees the old file or the new one, never half of one
  console.log(`fitted on ${json.fitted.users} users (${json.fitted.judgements} ratings and choices) in ${Math.round(performance.now() - t0)} ms: ` +
    `image prior rank ${json.image.basis.length}, attribute prior rank ${json.attributes.basis.length}; wrote ${path}. Restart the server and workers to use it.`);
} catch (e) {
  if (!(e instanceof NotEnoughHistoryError)) throw e;
  console.error(`nothing written: ${e.message}`);
  process.exitCode = 2;
} finally {
  await runtime.release();
  await services.close();
}

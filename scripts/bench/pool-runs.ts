// Pools several headline runs (bench:personalization --out DIR, one per seed): the win rate per k
// over all their users together, with the same bootstrap over users as one run's (win-rate.ts).
//
//   npx tsx scripts/bench/pool-runs.ts DIR1 DIR2 ... [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Comparison } from './personalization-protocol.ts';
import { winRate } from './win-rate.ts';

const { values, positionals } = parseArgs({ options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
if (positionals.length === 0) {
  console.error('usage: npx tsx scripts/bench/pool-runs.ts DIR1 DIR2 ... [--json] (each DIR a bench:personalization --out folder)');
  process.exit(2);
}
/** Per k, each run's users' scores (variant "all"). */
const byK = new Map<number, number[][]>();
for (const dir of positionals) {
  const { comparisons } = JSON.parse(readFileSync(join(dir, 'personalization.json'), 'utf8')) as { comparisons: Comparison[] };
  const users = new Map<number, Map<number, number[]>>(); // k -> user -> scores
  for (const c of comparisons.filter((x) => x.variant === 'all')) {
    const atK = users.get(c.k) ?? users.set(c.k, new Map()).get(c.k)!;
    atK.set(c.user, [...(atK.get(c.user) ?? []), c.score]);
  }
  for (const [k, atK] of users) byK.set(k, [...(byK.get(k) ?? []), ...atK.values()]);
}
const pooled = Object.fromEntries([...byK].sort(([a], [b]) => a - b).map(([k, users]) => [k, winRate(users)]));
if (values.json) console.log(JSON.stringify({ runs: positionals.length, win_rate: pooled }, null, 2));
else {
  for (const [k, w] of Object.entries(pooled)) {
    console.log(`k = ${k}: ${(100 * w.rate).toFixed(2)}% (${(100 * w.ci[0]).toFixed(1)}-${(100 * w.ci[1]).toFixed(1)}), ${w.users} users, ${w.comparisons} comparisons`);
  }
}

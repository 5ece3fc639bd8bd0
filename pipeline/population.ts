// The population prior, fitted from everyone's history (LoRe): the ratings and choices of
// the service's users become a low-rank Gaussian prior over preference vectors, in image
// space (w_u, for the rerank) and in attribute space (v_u, for the profile's lists, the
// rewrite and the guidance terms). A new user then starts from what people have in common
// and a few choices place them within it. `npm run prior:fit` runs it over a store and
// writes the JSON the service loads at start (adapters/wire.ts).
import { attributeSpace, type AttributePriorJson } from '../prefs/attribute-space.ts';
import { fitPopulationPrior, priorToJson, type PopulationPrior, type PopulationPriorJson } from '../prefs/prior.ts';
import type { Personalizer } from './personalizer.ts';
import type { HistoryStore } from './ports.ts';

/** Where `npm run prior:fit` writes the priors, under DATA_DIR. */
export const PRIOR_FILE = 'prior.json';

export interface PopulationPriors {
  readonly image: PopulationPrior;
  readonly attributes: PopulationPrior;
}

/** The file form: both priors, with what they were fitted on. */
export interface PopulationPriorsJson {
  readonly image: PopulationPriorJson;
  readonly attributes: AttributePriorJson;
  readonly fitted: { readonly users: number; readonly judgements: number; readonly at: string };
}

export interface FitPopulationOptions {
  /** Users read, the most recently active first. */
  readonly maxUsers?: number;
  /** Users with fewer judgements than this are left out: they say little about taste. */
  readonly minJudgements?: number;
  /** Rank of the shared basis (LoRe's k) in each space. */
  readonly rank?: number;
}

export class NotEnoughHistoryError extends Error {
  override readonly name = 'NotEnoughHistoryError';
}

/** Fits both priors over the store's users; throws NotEnoughHistoryError under 2 usable users. */
export async function fitPopulationPriors(personalizer: Personalizer, history: HistoryStore, options: FitPopulationOptions = {}): Promise<{ priors: PopulationPriors; json: PopulationPriorsJson }> {
  const minJudgements = options.minJudgements ?? 4;
  const rank = options.rank ?? 6;
  const users: Awaited<ReturnType<Personalizer['judgements']>>[] = [];
  for (const userId of await history.historyUsers({ limit: options.maxUsers ?? 10_000 })) {
    const j = await personalizer.judgements(userId, history);
    if (j.image.length >= minJudgements) users.push(j);
  }
  if (users.length < 2) throw new NotEnoughHistoryError(`a population prior needs at least 2 users with ${minJudgements}+ ratings or choices; the store has ${users.length}`);
  const current = personalizer.prior;
  const space = attributeSpace(personalizer.catalog);
  const imagePrior = fitPopulationPrior(users.map((u) => u.image), current.dim, { rank, center: current.center });
  const attributePrior = fitPopulationPrior(users.map((u) => u.attributes), space.dim, { rank, center: space.center });
  const count = users.reduce((s, u) => s + u.image.length, 0);
  return {
    priors: { image: imagePrior, attributes: attributePrior },
    json: {
      image: priorToJson(imagePrior), attributes: { ...priorToJson(attributePrior), keys: [...space.keys] },
      fitted: { users: users.length, judgements: count, at: new Date().toISOString() },
    },
  };
}

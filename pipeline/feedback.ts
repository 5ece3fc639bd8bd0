// The feedback loop: a rating, choice, comment or stated preference is stored and folded
// into the user's profile at once, so the user's next job reads the new profile.
import { PrefsInputError } from '../prefs/errors.ts';
import type { HistoryEvent, Profile, WeightedAttribute } from '../prefs/history.ts';
import { onboardingSet } from '../prefs/onboarding-set.ts';
import type { GenerationRequest } from './generate-job.ts';
import type { Personalizer } from './personalizer.ts';
import type { HistoryStore, ImageStore } from './ports.ts';

export interface FeedbackDeps {
  readonly history: HistoryStore;
  readonly images: ImageStore;
  readonly personalizer: Personalizer;
}

export interface ProfileEdit {
  readonly liked?: readonly WeightedAttribute[];
  readonly disliked?: readonly WeightedAttribute[];
  readonly strength?: number;
}

/** The seed of the service's own onboarding set (FeedbackLoop.onboardingPool without a seed). */
const SERVICE_ONBOARDING_SEED = 1;

/** Pairs are drawn from this many of the user's latest images. */
const PAIR_POOL = 64;

/** Onboarding sets kept designed (by count and seed): the service's own is asked for by every new user. */
const DESIGNS_KEPT = 32;

export class FeedbackLoop {
  private readonly designs = new Map<string, ReturnType<typeof onboardingSet>>();

  constructor(private readonly deps: FeedbackDeps) {}

  /** Stores the events and the profile they make in one transaction (all or nothing) and returns the profile. */
  async record(userId: string, events: readonly HistoryEvent[]): Promise<Profile> {
    return this.deps.personalizer.update(userId, events, this.deps.history, (profile) => this.deps.history.append(userId, events, { profile }));
  }

  async profile(userId: string): Promise<Profile> {
    return this.deps.personalizer.profileOf(await this.deps.personalizer.state(userId, this.deps.history));
  }

  /**
   * Edits become stated likes and dislikes in the history (so a refit keeps them): a chip
   * added to "liked" is stated liked with its weight, a chip removed is stated neither.
   */
  async edit(userId: string, edit: ProfileEdit): Promise<Profile> {
    const current = await this.profile(userId);
    const events: HistoryEvent[] = [];
    const at = Date.now();
    const diff = (was: readonly WeightedAttribute[], now: readonly WeightedAttribute[] | undefined, side: 'liked' | 'disliked') => {
      if (!now) return;
      for (const w of now) {
        if (!(w.weight > 0 && w.weight <= 10)) throw new PrefsInputError(`${side}.weight`, 'a number in (0, 10]', w.weight);
        const before = was.find((x) => x.attribute === w.attribute)?.weight ?? 0;
        const delta = Math.round(w.weight - before);
        for (let i = 0; i < Math.abs(delta); i++) {
          const sign = delta > 0 === (side === 'liked');
          events.push({ kind: 'stated', liked: sign ? [w.attribute] : [], disliked: sign ? [] : [w.attribute], at });
        }
      }
      for (const w of was) {
        if (now.some((x) => x.attribute === w.attribute)) continue;
        const n = Math.max(1, Math.round(w.weight));
        for (let i = 0; i < n; i++) events.push({ kind: 'stated', liked: side === 'disliked' ? [w.attribute] : [], disliked: side === 'liked' ? [w.attribute] : [], at });
      }
    };
    diff(current.liked, edit.liked, 'liked');
    diff(current.disliked, edit.disliked, 'disliked');
    let profile = events.length ? await this.record(userId, events) : current;
    if (edit.strength !== undefined) {
      profile = this.deps.personalizer.setStrength(await this.deps.personalizer.state(userId, this.deps.history), edit.strength);
      await this.deps.history.saveProfile(profile);
    }
    return profile;
  }

  /** Forgets the learned profile: history stays for the record, but the profile starts over. */
  async reset(userId: string): Promise<Profile> {
    await this.deps.history.deleteProfile(userId);
    await this.deps.history.append(userId, [{ kind: 'stated', liked: [], disliked: [], at: Date.now() }]);
    this.deps.personalizer.forget(userId);
    const profile = await this.profile(userId);
    return profile;
  }

  /**
   * The generation jobs of an onboarding pool, the images nextPair then proposes pairs from: one
   * image per prompt of the designed onboarding set (prefs/onboarding-set.ts), so that every
   * style value of the catalog is there to be chosen; personalization off (the pool is what the
   * profile learns from); seeds seed, seed + 1, ... Without a seed, the service's own set
   * (ViPer's fixed onboarding set): everyone judges the same images, so the population prior is
   * fitted on choices between the very images a new user is asked about, and (the same prompts
   * and seeds make the same images) they can be copied rather than generated again.
   */
  onboardingPool(o: { count: number; seed?: number; steps?: number }): GenerationRequest[] {
    const seed = o.seed ?? SERVICE_ONBOARDING_SEED;
    const key = `${o.count}/${seed}`;
    const set = this.designs.get(key) ?? onboardingSet(this.deps.personalizer.catalog, o.count, seed);
    this.designs.delete(key);
    this.designs.set(key, set);
    if (this.designs.size > DESIGNS_KEPT) this.designs.delete(this.designs.keys().next().value!);
    return set.map((image, i) => ({
      prompt: image.prompt, n: 1, seed: seed + i, personalization: 0, ...(o.steps !== undefined && { steps: o.steps }),
    }));
  }

  /** The most informative pair of the user's own images to judge next, Midjourney-style. */
  async nextPair(userId: string): Promise<{ a: string; b: string; reason: string } | undefined> {
    const state = await this.deps.personalizer.state(userId, this.deps.history);
    const { images } = await this.deps.images.listImages(userId, { limit: PAIR_POOL });
    const judged = new Set((await this.deps.history.history(userId)).flatMap((e) => (e.kind === 'choice' ? [`${e.winner}|${e.loser}`, `${e.loser}|${e.winner}`] : [])));
    const pair = this.deps.personalizer.proposePair(state, images, judged);
    if (!pair) return undefined;
    return { a: pair.a, b: pair.b, reason: `the current fit gives ${(pair.p * 100).toFixed(0)}% to the first; judging it is worth ${pair.information.toFixed(3)} nats` };
  }

  /** How many ratings and choices the profile rests on. */
  async evidence(userId: string): Promise<number> {
    return (await this.deps.personalizer.state(userId, this.deps.history)).evidence;
  }
}

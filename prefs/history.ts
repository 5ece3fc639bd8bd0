// A user's history: what the preference encoder learns from. Everything here is plain data
// so stores can persist it and prefs/ can be tested without any server.

/** like / dislike, or 1..5 stars. */
export type RatingValue = 'like' | 'dislike' | 1 | 2 | 3 | 4 | 5;

export interface RatingEvent {
  readonly kind: 'rating';
  readonly imageId: string;
  readonly value: RatingValue;
  readonly comment?: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

export interface ChoiceEvent {
  readonly kind: 'choice';
  readonly winner: string;
  readonly loser: string;
  readonly at: number;
}

export interface CommentEvent {
  readonly kind: 'comment';
  readonly text: string;
  readonly imageId?: string;
  readonly at: number;
}

/** Likes and dislikes the user states outright (profile editing, onboarding chips). */
export interface StatedEvent {
  readonly kind: 'stated';
  readonly liked: readonly string[];
  readonly disliked: readonly string[];
  readonly at: number;
}

export interface PromptEvent {
  readonly kind: 'prompt';
  readonly text: string;
  readonly at: number;
}

export type HistoryEvent = RatingEvent | ChoiceEvent | CommentEvent | StatedEvent | PromptEvent;

/** What is known of an image the history refers to. */
export interface ImageFacts {
  readonly id: string;
  /** The embedder's image embedding, L2-normalized. */
  readonly embedding: readonly number[];
  /** Attributes known from its generation metadata or zero-shot tagging, e.g. "teal background". */
  readonly attributes: readonly string[];
  readonly prompt: string;
}

export interface WeightedAttribute {
  readonly attribute: string;
  /** Strength of the preference, > 0. */
  readonly weight: number;
}

export interface Profile {
  readonly userId: string;
  readonly liked: readonly WeightedAttribute[];
  readonly disliked: readonly WeightedAttribute[];
  /** w_u in the embedder's image space. */
  readonly vector: readonly number[];
  /** v_u: a weight per catalog attribute, in the catalog's order (prefs/preference-space.ts); absent in profiles saved before it existed. */
  readonly attributeVector?: readonly number[];
  /** 0 = personalization off (like Midjourney's --p off), 1 = full. */
  readonly strength: number;
  /** How many ratings and choices the profile rests on. */
  readonly evidence: number;
  /** ISO 8601. */
  readonly updatedAt: string;
}

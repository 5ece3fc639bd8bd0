// The gallery: the user's images newest first, a page at a time, filtered by rating and text.
import { useEffect, useState } from 'preact/hooks';
import type { ImageListQuery, ImageSummary } from '../api/types.ts';
import { useClient } from '../api/session.ts';
import { AuthImage } from '../components/auth-image.tsx';
import { href, navigate } from '../routing.ts';

const PAGE = 24;
const RATINGS: { value: string; label: string }[] = [
  { value: '', label: 'Any rating' },
  { value: 'like', label: 'Liked' },
  { value: 'dislike', label: 'Disliked' },
  ...[5, 4, 3, 2, 1].map((s) => ({ value: String(s), label: `${s} star${s === 1 ? '' : 's'}` })),
];

function ratingOf(text: string): ImageListQuery['rating'] {
  return RATINGS.some((r) => r.value === text && text !== '') ? (text as ImageListQuery['rating']) : undefined;
}

export function GalleryScreen({ query }: { query: URLSearchParams }) {
  const client = useClient();
  const rating = query.get('rating') ?? '';
  const text = query.get('text') ?? '';
  const [draftRating, setDraftRating] = useState(rating);
  const [draftText, setDraftText] = useState(text);
  const [images, setImages] = useState<ImageSummary[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = async (cursor: string | undefined, signal?: AbortSignal) => {
    setLoading(true);
    setError(null);
    try {
      const page = await client.images({ limit: PAGE, cursor, rating: ratingOf(rating), text: text || undefined }, signal);
      setImages((list) => (cursor ? [...list, ...page.images] : page.images));
      setNext(page.next ?? undefined);
    } catch (err) {
      if (!signal?.aborted) setError((err as Error).message);
    } finally {
      if (!signal?.aborted) setLoading(false);
    }
  };

  useEffect(() => {
    const abort = new AbortController();
    setImages([]);
    void load(undefined, abort.signal);
    return () => abort.abort();
  }, [client, rating, text]);

  const filter = (event: Event) => {
    event.preventDefault();
    navigate(href(['gallery'], { rating: draftRating, text: draftText.trim() }));
  };

  return (
    <section aria-labelledby="gallery-title">
      <h2 id="gallery-title">Gallery</h2>
      <form class="panel row filters" role="search" onSubmit={filter}>
        <div class="field">
          <label for="filter-rating">Rating</label>
          <select id="filter-rating" value={draftRating} onChange={(e) => setDraftRating(e.currentTarget.value)}>
            {RATINGS.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}
          </select>
        </div>
        <div class="field grow">
          <label for="filter-text">Prompt contains</label>
          <input id="filter-text" type="search" value={draftText} onInput={(e) => setDraftText(e.currentTarget.value)} />
        </div>
        <button type="submit">Filter</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {!loading && !error && images.length === 0 && (
        <p class="empty">{rating || text ? 'No image matches these filters.' : 'No images yet: generate some first.'}</p>
      )}
      <ul class="thumb-grid gallery-grid" aria-label="Your images, newest first">
        {images.map((image) => (
          <li key={image.id}>
            <a href={href(['images', image.id])} title={image.prompt}>
              <AuthImage id={image.id} size="thumb" alt={image.prompt || '(empty prompt)'} />
              <span class="caption">{image.prompt || '(empty prompt)'}</span>
            </a>
          </li>
        ))}
      </ul>
      {loading && <p role="status">Loading…</p>}
      {next && !loading && <button type="button" class="secondary" onClick={() => load(next)}>Load more</button>}
    </section>
  );
}

// One image: the full picture, everything that made it (prompt as written and as rewritten,
// seed, parameters, the profile's attributes applied, the rerank scores), and rating.
import { useEffect, useState } from 'preact/hooks';
import type { ImageDetail, WeightedAttribute } from '../api/types.ts';
import { useClient } from '../api/session.ts';
import { AuthImage } from '../components/auth-image.tsx';
import { RatingPanel } from '../components/rating-panel.tsx';
import { href } from '../routing.ts';

function Attributes({ label, items }: { label: string; items: readonly WeightedAttribute[] }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        {items.length === 0 ? 'none' : (
          <ul class="chips" aria-label={label}>
            {items.map((a) => <li class="chip" key={a.attribute}>{a.attribute} <span class="weight">×{a.weight.toFixed(1)}</span></li>)}
          </ul>
        )}
      </dd>
    </div>
  );
}

function Row({ label, value }: { label: string; value: string | number }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value === '' ? '(none)' : value}</dd>
    </div>
  );
}

export function ImageDetailScreen({ id }: { id: string }) {
  const client = useClient();
  const [image, setImage] = useState<ImageDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    setImage(null);
    setError(null);
    client.image(id, abort.signal).then(setImage, (err: Error) => !abort.signal.aborted && setError(err.message));
    return () => abort.abort();
  }, [client, id]);

  if (error) return <section><h2>Image</h2><p class="error" role="alert">{error}</p><a href="#/gallery">Back to the gallery</a></section>;
  if (!image) return <section><h2>Image</h2><p role="status">Loading…</p></section>;

  const { params, profile } = image;
  // The seed names the kept image itself: one image, one candidate, the same parameters.
  const again = href(['generate'], {
    prompt: image.prompt, negative: image.negative_prompt, seed: image.seed, steps: params.steps, guidance: params.guidance, n: 1,
    personalization: profile ? 1 : 0,
  });
  return (
    <section aria-labelledby="detail-title" class="detail">
      <h2 id="detail-title">Image</h2>
      <div class="detail-layout">
        <figure>
          <AuthImage id={image.id} size="full" alt={image.prompt || '(empty prompt)'} class="full-image" />
          <figcaption>
            <a class="button" href={again}>Generate again with this seed</a>
          </figcaption>
        </figure>
        <div>
          <dl class="facts" aria-label="How it was made">
            <Row label="Prompt as written" value={image.prompt} />
            <Row label="Prompt as rewritten" value={image.rewritten_prompt} />
            <Row label="Negative prompt" value={image.negative_prompt} />
            <Row label="Seed" value={image.seed} />
            <Row label="Parameters" value={`${params.steps} steps, guidance ${params.guidance}, ${image.width}×${image.height}, ${params.scheduler}, ${params.model}`} />
            <Row label="Personalization" value={profile ? `on (profile strength ${Math.round(profile.strength * 100)}%, from ${profile.evidence} ratings and choices)` : 'off'} />
            {profile
              ? <><Attributes label="Liked attributes applied" items={profile.liked} /><Attributes label="Disliked attributes applied" items={profile.disliked} /></>
              : <Row label="Attributes applied" value="none: personalization was off" />}
            <Row label="Scores among candidates" value={Object.entries(image.scores).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`).join(', ')} />
            {image.explanation && <Row label="Why it was chosen" value={image.explanation} />}
            <Row label="Seen in it" value={image.attributes.join(', ')} />
          </dl>
          <RatingPanel imageId={image.id} current={image.rating} />
        </div>
      </div>
    </section>
  );
}

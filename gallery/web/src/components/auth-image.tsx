// An image of the API, fetched with the Bearer key and shown from a blob: URL.
import { useEffect, useState } from 'preact/hooks';
import type { ImageSize } from '../api/client.ts';
import { useClient } from '../api/session.ts';

export function AuthImage({ id, size, alt, class: className }: { id: string; size: ImageSize; alt: string; class?: string }) {
  const client = useClient();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setUrl(null);
    setError(null);
    client.imageUrl(id, size).then(
      (u) => live && setUrl(u),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [client, id, size]);
  if (error) return <div class={`image-placeholder ${className ?? ''}`} role="img" aria-label={`${alt} (could not load: ${error})`}>!</div>;
  if (!url) return <div class={`image-placeholder ${className ?? ''}`} role="img" aria-label={`${alt} (loading)`} aria-busy="true" />;
  return <img class={className} src={url} alt={alt} />;
}

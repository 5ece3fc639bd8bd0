// The shell: sign-in until a key is kept, then a navigation bar and the screen the hash names.
import { useMemo, useState } from 'preact/hooks';
import { ApiClient } from './api/client.ts';
import { ClientContext, storedKey, storeKey } from './api/session.ts';
import { href, useRoute, type Route } from './routing.ts';
import { CompareScreen } from './screens/compare.tsx';
import { GalleryScreen } from './screens/gallery.tsx';
import { GenerateScreen } from './screens/generate.tsx';
import { ImageDetailScreen } from './screens/image-detail.tsx';
import { OnboardingScreen } from './screens/onboarding.tsx';
import { ProfileScreen } from './screens/profile.tsx';
import { SignInScreen } from './screens/sign-in.tsx';

const TABS = [
  { path: 'generate', label: 'Generate' },
  { path: 'gallery', label: 'Gallery' },
  { path: 'onboarding', label: 'Which do you prefer?' },
  { path: 'profile', label: 'Profile' },
  { path: 'compare', label: 'Compare' },
] as const;

function Screen({ route }: { route: Route }) {
  const [first = 'generate', second] = route.parts;
  switch (first) {
    case 'gallery':
      return <GalleryScreen query={route.query} />;
    case 'images':
      return second ? <ImageDetailScreen id={second} /> : <GalleryScreen query={route.query} />;
    case 'onboarding':
      return <OnboardingScreen />;
    case 'profile':
      return <ProfileScreen />;
    case 'compare':
      return <CompareScreen />;
    default:
      // The query is read once, so "generate again" links open a fresh form.
      return <GenerateScreen key={route.query.toString()} query={route.query} />;
  }
}

export function App() {
  const route = useRoute();
  const [key, setKey] = useState(storedKey);
  const [notice, setNotice] = useState<string | null>(null);
  const client = useMemo(() => key && new ApiClient(key, () => {
    storeKey(null);
    setKey(null);
    setNotice('Your API key is no longer accepted (401): sign in again.');
  }), [key]);

  const signIn = (value: string) => {
    storeKey(value);
    setNotice(null);
    setKey(value);
  };
  const signOut = () => {
    storeKey(null);
    setKey(null);
  };
  const current = route.parts[0] === 'images' ? 'gallery' : (route.parts[0] ?? 'generate');

  return (
    <>
      {/* A plain #main link would change the hash route; focus the content instead. */}
      <a class="skip-link" href="#" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <h1>Atelier</h1>
        {client && (
          <nav aria-label="Main">
            <ul>
              {TABS.map((tab) => (
                <li key={tab.path}>
                  <a href={href([tab.path])} aria-current={current === tab.path ? 'page' : undefined}>{tab.label}</a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {client && <button type="button" class="secondary sign-out" onClick={signOut}>Sign out</button>}
      </header>
      <main id="main" tabIndex={-1}>
        {client
          ? <ClientContext.Provider value={client}><Screen route={route} /></ClientContext.Provider>
          : <SignInScreen notice={notice} onSignedIn={signIn} />}
      </main>
    </>
  );
}

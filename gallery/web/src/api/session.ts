// The signed-in API key: kept in localStorage so a reload stays signed in, and handed to the
// screens as an ApiClient through context.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './client.ts';

const STORAGE_KEY = 'atelier.apiKey';

export function storedKey(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key === null) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Private mode without storage: the key lives until the tab closes.
  }
}

export const ClientContext = createContext<ApiClient | null>(null);

export function useClient(): ApiClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient() needs a signed-in <ClientContext.Provider>');
  return client;
}

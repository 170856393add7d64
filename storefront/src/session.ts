// The signed-in customer's tokens. The access token lives 15 minutes; the
// refresh token works once and is exchanged for a new pair (rotation).
// Both are kept in localStorage so that a reload or a second tab stays
// signed in; tabs see each other's rotations through the `storage` event,
// and a Web Lock makes sure only one tab spends a refresh token at a time
// (spending it twice would be refused as a reuse).
import { useSyncExternalStore } from 'react';

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** RFC 3339. */
  expiresAt: string;
  user: { id: string; name: string; email: string };
}

const STORAGE_KEY = 'shopgraph.session';
const listeners = new Set<() => void>();
let current: Session | null = read();

function read(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function notify() {
  for (const listener of listeners) listener();
}

window.addEventListener('storage', (event) => {
  if (event.key === STORAGE_KEY) {
    current = read();
    notify();
  }
});

export function getSession(): Session | null {
  return current;
}

export function setSession(session: Session | null) {
  current = session;
  if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else localStorage.removeItem(STORAGE_KEY);
  notify();
}

/** Whether the access token expires within `marginMs`. */
export function expiresSoon(session: Session, marginMs = 30_000): boolean {
  return Date.parse(session.expiresAt) - Date.now() < marginMs;
}

/**
 * Runs `refresh` with the current refresh token, one tab at a time. If
 * another tab rotated the pair while this one waited, its result is used
 * instead of spending the (now spent) token again.
 */
export async function rotate(refresh: (refreshToken: string) => Promise<Session | null>) {
  const stale = current?.refreshToken;
  const run = async () => {
    const latest = read();
    if (latest && latest.refreshToken !== stale) {
      current = latest;
      notify();
      return;
    }
    if (!latest) {
      setSession(null);
      return;
    }
    setSession(await refresh(latest.refreshToken));
  };
  if (navigator.locks) await navigator.locks.request('shopgraph-refresh', run);
  else await run();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, getSession);
}

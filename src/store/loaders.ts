/**
 * Per-request DataLoaders over the bar repository. Make a fresh set for every GraphQL request (nothing
 * is cached across requests, so a request never sees another one's stale reads). Every `.load` made in
 * the same tick becomes ONE SQL statement, however many symbols and dates it covers.
 */
import DataLoader from 'dataloader';
import type { Bar, StoredBar } from '../domain/types.ts';
import type { BarRepository, DailyBarKey, SessionBarsKey } from './bar-repository.ts';

/** The per-request loaders. */
export interface StoreLoaders {
  /** Stored base bars of one (symbol, interval, session date), ascending. */
  readonly storedBars: DataLoader<SessionBarsKey, readonly StoredBar[], string>;
  /** The same loader as {@link StoreLoaders.storedBars} (alias). */
  readonly sessionBars: DataLoader<SessionBarsKey, readonly StoredBar[], string>;
  /** One bar aggregated from the base bars of a date inside `[from, to)`; null when there is none. */
  readonly dailyBars: DataLoader<DailyBarKey, Bar | null, string>;
  /** Whether any bar is stored for a (symbol, interval, session date). */
  readonly hasBars: DataLoader<SessionBarsKey, boolean, string>;
}

/** The repository calls the loaders batch into. */
export type LoaderSource = Pick<BarRepository, 'readSessionBars' | 'readDailyBars' | 'hasBars'>;

const sessionKey = (k: SessionBarsKey): string => `${k.symbol}\u0000${k.interval}\u0000${k.date}`;
const dailyKey = (k: DailyBarKey): string => `${sessionKey(k)}\u0000${k.from}\u0000${k.to}`;

/** Fresh loaders for one request. */
export function createLoaders(repo: LoaderSource): StoreLoaders {
  const storedBars = new DataLoader<SessionBarsKey, readonly StoredBar[], string>(
    (keys) => repo.readSessionBars(keys),
    { cacheKeyFn: sessionKey },
  );
  return {
    storedBars,
    sessionBars: storedBars,
    dailyBars: new DataLoader<DailyBarKey, Bar | null, string>((keys) => repo.readDailyBars(keys), {
      cacheKeyFn: dailyKey,
    }),
    hasBars: new DataLoader<SessionBarsKey, boolean, string>((keys) => repo.hasBars(keys), {
      cacheKeyFn: sessionKey,
    }),
  };
}

/**
 * Per-request DataLoaders over the bars table (`BarRepository`, or the `Repository` over it). Make a
 * fresh set for every GraphQL request (nothing is cached across requests, so a request never sees
 * another one's stale reads). Every `.load` made in the same tick becomes ONE SQL statement, however
 * many symbols and dates it covers.
 */
import DataLoader from 'dataloader';
import type { SessionBarsKey, StoredBar } from '../domain/types.ts';
import type { BarRepository } from './bar-repository.ts';
import { sessionBarsKeyOf } from './sql.ts';

/** The per-request loaders. */
export interface StoreLoaders {
  /** Stored base bars of one (symbol, interval, session date), ascending. */
  readonly storedBars: DataLoader<SessionBarsKey, readonly StoredBar[], string>;
}

/** The repository calls the loaders batch into. */
export type LoaderSource = Pick<BarRepository, 'readSessionBars'>;

/** Fresh loaders for one request. */
export function createLoaders(repo: LoaderSource): StoreLoaders {
  return {
    storedBars: new DataLoader<SessionBarsKey, readonly StoredBar[], string>(
      (keys) => repo.readSessionBars(keys),
      {
        cacheKeyFn: sessionBarsKeyOf,
      },
    ),
  };
}

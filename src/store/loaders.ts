/**
 * Per-request DataLoaders over the bars table (`BarRepository`, or the `Repository` over it). Make a
 * fresh set for every GraphQL request (nothing is cached across requests, so a request never sees
 * another one's stale reads). Every `.load` made in the same tick becomes ONE SQL statement, however
 * many symbols and dates it covers.
 */
import DataLoader from 'dataloader';
import type { HistoryPageRequest, HistoryPageResult } from '../domain/history-page.ts';
import type { SessionBarsKey, StoredBar } from '../domain/types.ts';
import type { BarRepository } from './bar-repository.ts';
import { sessionBarsKeyOf } from './sql.ts';

/** The per-request loaders. */
export interface StoreLoaders {
  /** Stored base bars of one (symbol, interval, session date), ascending. */
  readonly storedBars: DataLoader<SessionBarsKey, readonly StoredBar[], string>;
  /** Pages of stored history (src/store/history-pages.ts): every request of a tick in one statement. */
  readonly historyPages: DataLoader<HistoryPageRequest, HistoryPageResult, string>;
}

/** The repository calls the loaders batch into. */
export type LoaderSource = Pick<BarRepository, 'readSessionBars' | 'readHistoryPages'>;

/** The key string of a history request: equal requests, equal strings. */
function historyKeyOf(request: HistoryPageRequest): string {
  return JSON.stringify(request);
}

/** Fresh loaders for one request. */
export function createLoaders(repo: LoaderSource): StoreLoaders {
  return {
    storedBars: new DataLoader<SessionBarsKey, readonly StoredBar[], string>(
      (keys) => repo.readSessionBars(keys),
      {
        cacheKeyFn: sessionBarsKeyOf,
      },
    ),
    historyPages: new DataLoader<HistoryPageRequest, HistoryPageResult, string>(
      (requests) => repo.readHistoryPages(requests),
      { cacheKeyFn: historyKeyOf },
    ),
  };
}

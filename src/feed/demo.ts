import type { SymbolSettings } from '../domain/symbol-settings.ts';
import type { ClockMode, IsoDate } from '../domain/types.ts';
import type { SessionData } from '../session/session-data.ts';
import type { ImportSummary, ImportTarget } from './import.ts';
import { importSample } from './import.ts';
import type { ReplayStatus } from './replay.ts';

/** The date the demo replays (a full regular session of the bundled SPY sample). */
export const DEMO_DATE = '2011-03-10';
/** Market time per wall time of the demo: one 1m bar per second. */
export const DEMO_SPEED = 60;

/** What the demo needs from the store: the import, and the symbol configuration. */
export interface DemoStore extends ImportTarget {
  saveSymbolConfig(settings: SymbolSettings): Promise<void>;
  listSymbolConfigs(): Promise<SymbolSettings[]>;
}

/** What the demo drives (the session service). */
export interface DemoService {
  readonly session: SessionData;
  /** Status of the last replay when it stopped: the demo starts over once one has finished. */
  readonly lastReplay: ReplayStatus | null;
  startSession(date: IsoDate, mode: ClockMode, replaySpeed?: number): Promise<void>;
}

/**
 * Starts the demo on an empty store: imports the bundled SPY sample (idempotent), configures SPY
 * with 5m/15m/1h/1d derived and 2 days of history, and starts a REPLAY session of {@link DEMO_DATE}
 * at {@link DEMO_SPEED}. When the replay reaches the close the session starts over a few seconds
 * later, so the demo keeps streaming. Returns the import summaries.
 */
export async function startDemo(service: DemoService, store: DemoStore): Promise<ImportSummary[]> {
  const summaries = await importSample(store);
  if ((await store.listSymbolConfigs()).length === 0) {
    await store.saveSymbolConfig({
      symbol: 'SPY',
      baseInterval: '1m',
      derivedIntervals: ['5m', '15m', '1h', '1d'],
      historicalDays: 2,
      extendedHours: false,
      source: 'BARS',
      feed: 'api',
      indicators: [
        'avg_volume_2d',
        'max_price_2d',
        'min_price_2d',
        'avg_range_2d',
        'avg_close_2d',
        'prev_close',
      ],
    });
  }
  await service.startSession(DEMO_DATE, 'REPLAY', DEMO_SPEED);
  return summaries;
}

/**
 * Restarts the demo replay whenever it finishes. Returns the function that stops doing so.
 */
export function loopDemo(service: DemoService): () => void {
  let timer: NodeJS.Timeout | null = null;
  const off = service.session.events.on('session', (event) => {
    if (event.kind !== 'SESSION_ENDED' || !service.lastReplay?.finished) return;
    timer = setTimeout(() => {
      service.startSession(DEMO_DATE, 'REPLAY', DEMO_SPEED).catch(() => undefined);
    }, 5_000);
    timer.unref();
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}

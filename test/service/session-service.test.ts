/**
 * The session service over the real app (in-memory PGlite): what it persists for a restart.
 */
import { expect, it } from 'vitest';
import { createTestApi, useAppDatabase } from '../helpers/app.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { sleep } from '../helpers/wait.ts';

const leftovers = useLeftovers();
const database = useAppDatabase();

it('persists a MANUAL clock moved by ingested bars, within a second and on shutdown', async () => {
  const api = await createTestApi({ database: database(), notStored: ['2011-01-12'], leftovers });
  await api.gql('mutation { startSession(date: "2011-01-12", clockMode: MANUAL) { date } }');
  await api.gql('mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }');
  const ts = Date.parse('2011-01-12T14:30:00Z');
  const bars = [0, 1, 2].map((i) => ({
    symbol: 'SPY',
    ts: new Date(ts + i * 60_000).toISOString(),
    open: 10,
    high: 11,
    low: 9,
    close: 10,
    volume: 100,
  }));
  await api.gql('mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }', { b: bars });
  expect(api.session.time).toBe(ts + 3 * 60_000);
  const deadline = Date.now() + 5_000;
  let clock: number | null = null;
  while (Date.now() < deadline && clock !== api.session.time) {
    clock = (await api.app.repository.loadSessionState())?.clock ?? null;
    await sleep(100);
  }
  expect(clock).toBe(ts + 3 * 60_000);

  await api.gql('mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted } }', {
    b: [{ ...bars[0]!, ts: new Date(ts + 3 * 60_000).toISOString() }],
  });
  await api.service.flushState();
  expect((await api.app.repository.loadSessionState())?.clock).toBe(ts + 4 * 60_000);
});

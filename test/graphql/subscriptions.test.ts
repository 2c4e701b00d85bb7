/**
 * Subscriptions through yoga.fetch over SSE (distinct connections mode): order, filters,
 * completeOnly, corrections, SYMBOL_REMOVED, the bounded queue's SLOW_CONSUMER policy and
 * listener clean-up. Real clients over a real port are in test/e2e.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { StoredBar } from '../../src/domain/types.ts';
import { barInput, createTestApi, type TestApi, useAppDatabase } from '../helpers/app.ts';
import { type GqlResponse, openSse } from '../helpers/gql.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { readSpy } from '../helpers/spy.ts';
import { sleep } from '../helpers/wait.ts';

const DATE = '2011-01-10';
const day = readSpy()
  .get(DATE)!
  .filter((b) => b.ts >= Date.UTC(2011, 0, 10, 14, 30));
const iso = (ms: number) => new Date(ms).toISOString();
const ingest = `mutation($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted rejected { code } } }`;
const EVENT = 'symbol interval kind bar { ts close complete baseBars revision }';

const leftovers = useLeftovers();
const database = useAppDatabase();
let api: TestApi;
let baseline: { bar: number; session: number };

beforeEach(async () => {
  api = await createTestApi({
    database: database(),
    notStored: [DATE],
    limits: { subscriberQueue: 50 },
    leftovers,
  });
  await api.gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
  await api.gql(`mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }`);
  baseline = { bar: api.session.events.count('bar'), session: api.session.events.count('session') };
});

async function send(...bars: StoredBar[]): Promise<void> {
  for (const bar of bars) {
    const r = await api.gql(ingest, { bars: [barInput('SPY', bar)] });
    expect(r.data).toEqual({ ingestBars: { accepted: 1, rejected: [] } });
  }
}

type Event = {
  symbol: string;
  interval: string;
  kind: string;
  bar: { ts: string; complete: boolean; baseBars: number; revision: number; close: number };
};
const ev = (r: GqlResponse | null) => (r?.data as { barUpdates: Event } | undefined)?.barUpdates;
const brief = (e: Event | undefined) =>
  e &&
  `${e.interval} ${e.kind} ${e.bar.ts.slice(11, 16)} ${e.bar.complete ? 'complete' : 'open'} ${e.bar.baseBars}`;

describe('barUpdates', () => {
  it('delivers every change in order, derived windows closing included', async () => {
    const stream = await openSse(
      api.yoga,
      `subscription { barUpdates(symbols: ["spy"], intervals: ["1m", "5m"]) { ${EVENT} } }`,
    );
    expect(api.session.events.count('bar')).toBe(baseline.bar + 1);
    expect(api.yoga.pubsub.subscribers).toBe(1);
    await send(...day.slice(0, 6));
    const got: (string | undefined)[] = [];
    for (let i = 0; i < 13; i++) got.push(brief(ev(await stream.next())));
    expect(got).toEqual([
      '1m ADDED 14:30 open 1',
      '5m ADDED 14:30 open 1',
      '1m ADDED 14:31 open 1',
      '5m UPDATED 14:30 open 2',
      '1m ADDED 14:32 open 1',
      '5m UPDATED 14:30 open 3',
      '1m ADDED 14:33 open 1',
      '5m UPDATED 14:30 open 4',
      '1m ADDED 14:34 open 1',
      '5m UPDATED 14:30 open 5',
      '5m UPDATED 14:30 complete 5',
      '1m ADDED 14:35 open 1',
      '5m ADDED 14:35 open 1',
    ]);
    stream.close();
  });

  it('with completeOnly delivers closed bars once as ADDED, corrections as UPDATED', async () => {
    const derived = await openSse(
      api.yoga,
      `subscription { barUpdates(intervals: ["5m"], completeOnly: true) { ${EVENT} } }`,
    );
    const base = await openSse(
      api.yoga,
      `subscription { barUpdates(intervals: ["1m"], completeOnly: true) { ${EVENT} } }`,
    );
    await send(...day.slice(0, 6));
    const first = ev(await derived.next());
    expect(brief(first)).toBe('5m ADDED 14:30 complete 5');
    expect(first?.bar.close).toBe(day[4]!.close);
    for (let i = 0; i < 6; i++) {
      const e = ev(await base.next());
      expect(brief(e)).toBe(`1m ADDED ${iso(day[i]!.ts).slice(11, 16)} complete 1`);
    }
    const corrected = {
      ...day[4]!,
      close: day[4]!.close + 0.01,
      high: Math.max(day[4]!.high, day[4]!.close + 0.01),
    };
    await send(corrected);
    const update = ev(await derived.next());
    expect(brief(update)).toBe('5m UPDATED 14:30 complete 5');
    expect(update?.bar).toMatchObject({ close: corrected.close, revision: 1 });
    expect(ev(await base.next())).toMatchObject({
      kind: 'UPDATED',
      bar: { ts: iso(day[4]!.ts), revision: 1, close: corrected.close },
    });
    await send(day[7]!);
    await expect(derived.next(200)).rejects.toThrow('no event in time');
    derived.close();
    base.close();
  });

  it('LIVE: a base bar ingested during its minute reaches completeOnly readers when the clock passes its end', async () => {
    let wall = Date.UTC(2011, 0, 10, 14, 30, 20);
    await api.dispose(); // this test needs an app with its own wall clock, on the same store
    const live = await createTestApi({ database: database(), notStored: [DATE], now: () => wall, leftovers });
    await live.gql(`mutation { startSession(date: "${DATE}", clockMode: LIVE) { date } }`);
    await live.gql(`mutation { loadSymbol(input: { symbol: "SPY", historicalDays: 0 }) { symbol } }`);
    const complete = await openSse(
      live.yoga,
      `subscription { barUpdates(intervals: ["1m"], completeOnly: true) { ${EVENT} } }`,
    );
    const every = await openSse(live.yoga, `subscription { barUpdates(intervals: ["1m"]) { ${EVENT} } }`);
    const forming = { ...day[0]!, close: day[0]!.open, high: day[0]!.high, low: day[0]!.low };
    const r = await live.gql(ingest, { bars: [barInput('SPY', forming)] });
    expect(r.data).toEqual({ ingestBars: { accepted: 1, rejected: [] } });
    expect(brief(ev(await every.next()))).toBe('1m ADDED 14:30 open 1');
    // Updated within its minute: still forming, so completeOnly readers see nothing yet.
    await live.gql(ingest, { bars: [barInput('SPY', day[0]!)] });
    expect(ev(await every.next())).toMatchObject({
      kind: 'UPDATED',
      bar: { revision: 1, complete: false },
    });
    await expect(complete.next(300)).rejects.toThrow('no event in time');
    // The service's ticker moves the LIVE clock with the wall clock once a second.
    wall = Date.UTC(2011, 0, 10, 14, 31, 1);
    const closed = ev(await complete.next(3_000));
    expect(brief(closed)).toBe('1m ADDED 14:30 complete 1');
    expect(closed?.bar).toMatchObject({ close: day[0]!.close, revision: 1 });
    // The window closing changes no bar: readers of every change get nothing for it.
    await expect(every.next(300)).rejects.toThrow('no event in time');
    // A bar that arrives after its end is complete at once, for both.
    wall = Date.UTC(2011, 0, 10, 14, 32, 2);
    await live.gql(ingest, { bars: [barInput('SPY', day[1]!)] });
    expect(brief(ev(await complete.next()))).toBe('1m ADDED 14:31 complete 1');
    expect(brief(ev(await every.next()))).toBe('1m ADDED 14:31 complete 1');
    await expect(complete.next(1_500)).rejects.toThrow('no event in time');
    complete.close();
    every.close();
  });

  it('refuses malformed filters', async () => {
    const response = await api.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { barUpdates(intervals: ["7x"]) { symbol } }' }),
    });
    const text = await response.text();
    expect(text).toContain('INVALID_INTERVAL');
    expect(api.session.events.count('bar')).toBe(baseline.bar);
  });

  it('drops a subscriber still 50 events behind when the next batch comes, with SLOW_CONSUMER', async () => {
    const slow = await openSse(api.yoga, `subscription { barUpdates(intervals: ["1m"]) { ${EVENT} } }`);
    const fast = await openSse(api.yoga, `subscription { barUpdates(intervals: ["1m"]) { ${EVENT} } }`);
    expect(api.yoga.pubsub.subscribers).toBe(2);
    const fastSeen: string[] = [];
    const bars = day.slice(0, 120);
    // One batch of 60 events: more than the limit, but nobody is behind yet, so nobody is dropped.
    const first = await api.gql(ingest, { bars: bars.slice(0, 60).map((b) => barInput('SPY', b)) });
    expect(first.data).toEqual({ ingestBars: { accepted: 60, rejected: [] } });
    for (let i = 0; i < 60; i++) fastSeen.push(ev(await fast.next())!.bar.ts);
    expect(api.yoga.pubsub.subscribers).toBe(2);
    // The next batch finds the slow subscriber with ≥ 50 undelivered events: it is dropped at once.
    const second = await api.gql(ingest, { bars: bars.slice(60).map((b) => barInput('SPY', b)) });
    expect(second.data).toEqual({ ingestBars: { accepted: 60, rejected: [] } });
    expect(api.yoga.pubsub.subscribers).toBe(1);
    for (let i = 0; i < 60; i++) fastSeen.push(ev(await fast.next())!.bar.ts);
    let last: GqlResponse | null = null;
    const slowSeen: string[] = [];
    for (;;) {
      const r = await slow.next();
      if (r === null) break;
      if (r.errors) last = r;
      else slowSeen.push(ev(r)!.bar.ts);
    }
    expect(last?.errors?.[0]?.extensions?.code).toBe('SLOW_CONSUMER');
    expect(slowSeen).toEqual(bars.slice(0, slowSeen.length).map((b) => iso(b.ts)));
    expect(slowSeen.length).toBeLessThan(60);
    expect(fastSeen).toEqual(bars.map((b) => iso(b.ts)));
    fast.close();
  });

  it('removes every listener when clients leave', async () => {
    const streams = await Promise.all([
      openSse(api.yoga, `subscription { barUpdates { ${EVENT} } }`),
      openSse(api.yoga, `subscription { barUpdates(completeOnly: true) { ${EVENT} } }`),
      openSse(api.yoga, 'subscription { sessionEvents { kind } }'),
    ]);
    expect(api.session.events.count('bar')).toBe(baseline.bar + 1);
    expect(api.session.events.count('session')).toBe(baseline.session + 1);
    expect(api.yoga.pubsub.subscribers).toBe(3);
    await send(day[0]!);
    await streams[0]!.next();
    for (const s of streams) s.close();
    await sleep(50);
    expect(api.session.events.count('bar')).toBe(baseline.bar);
    expect(api.session.events.count('session')).toBe(baseline.session);
    expect(api.yoga.pubsub.subscribers).toBe(0);
  });
});

describe('sessionEvents', () => {
  it('tells a removed symbol’s subscribers SYMBOL_REMOVED, then only other symbols’ events', async () => {
    const all = await openSse(
      api.yoga,
      'subscription { sessionEvents { kind symbol session { date active } } }',
    );
    const spyOnly = await openSse(
      api.yoga,
      'subscription { sessionEvents(symbols: ["spy"]) { kind symbol } }',
    );
    const bars = await openSse(
      api.yoga,
      `subscription { barUpdates(symbols: ["SPY", "QQQ"], intervals: ["1m"]) { ${EVENT} } }`,
    );
    await send(day[0]!);
    expect(brief(ev(await bars.next()))).toBe('1m ADDED 14:30 open 1');
    expect(await api.gql('mutation { removeSymbol(symbol: "spy") }')).toEqual({
      data: { removeSymbol: true },
    });
    await api.gql('mutation { loadSymbol(input: { symbol: "QQQ", historicalDays: 0 }) { symbol } }');
    expect(await all.next()).toEqual({
      data: {
        sessionEvents: { kind: 'SYMBOL_REMOVED', symbol: 'SPY', session: { date: DATE, active: true } },
      },
    });
    expect(await all.next()).toEqual({
      data: {
        sessionEvents: { kind: 'SYMBOL_LOADED', symbol: 'QQQ', session: { date: DATE, active: true } },
      },
    });
    expect(await spyOnly.next()).toEqual({
      data: { sessionEvents: { kind: 'SYMBOL_REMOVED', symbol: 'SPY' } },
    });
    const qqq = { ...day[1]! };
    const r = await api.gql(ingest, { bars: [barInput('QQQ', qqq), barInput('SPY', day[2]!)] });
    expect(r.data).toEqual({ ingestBars: { accepted: 1, rejected: [{ code: 'NOT_LOADED' }] } });
    expect(ev(await bars.next())).toMatchObject({ symbol: 'QQQ', kind: 'ADDED', bar: { ts: iso(qqq.ts) } });
    await api.gql('mutation { endSession { active } }');
    expect(await all.next()).toMatchObject({
      data: { sessionEvents: { kind: 'SESSION_ENDED', symbol: null } },
    });
    expect(await spyOnly.next()).toEqual({
      data: { sessionEvents: { kind: 'SESSION_ENDED', symbol: null } },
    });
    for (const s of [all, spyOnly, bars]) s.close();
  });
});

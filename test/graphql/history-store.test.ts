/**
 * Historical bars outside the in-memory window come from PostgreSQL through the per-request
 * DataLoaders: the real SessionService, Repository and createLoaders on PGlite (and on
 * PostgreSQL when DATABASE_URL is set), with the bundled SPY sample imported.
 */
import { describe, expect, it } from 'vitest';
import { importSample } from '../../src/feed/import.ts';
import { createYoga } from '../../src/graphql/yoga.ts';
import { SessionService } from '../../src/service/session-service.ts';
import { SessionData } from '../../src/session/session-data.ts';
import { createLoaders } from '../../src/store/loaders.ts';
import { Repository } from '../../src/store/repository.ts';
import { StoreWriter } from '../../src/store/writer.ts';
import { testDrivers, useTestDatabase } from '../helpers/db.ts';
import { ADMIN_TOKEN, gql as request } from '../helpers/gql.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { readSpy, SPY_MARCH } from '../helpers/spy.ts';

const leftovers = useLeftovers();

describe.each(testDrivers())('historical reads on %s', (driver) => {
  const db = useTestDatabase(driver);

  it('reads stored dates in one statement per request, with the same rules as memory', async () => {
    const { database } = db();
    const repo = new Repository(database);
    await importSample(repo);
    const session = new SessionData();
    const writer = leftovers.keep(new StoreWriter(repo), (w) => w.close());
    const service = leftovers.keep(new SessionService(session, repo, writer), (s) => s.dispose());
    const yoga = leftovers.keep(
      createYoga({ service, adminToken: ADMIN_TOKEN, createLoaders: () => createLoaders(repo) }),
      (y) => y.dispose(),
    );
    const gql = (query: string) => request(yoga, query);
    expect(
      (await gql('mutation { startSession(date: "2011-03-10", clockMode: MANUAL) { date } }')).errors,
    ).toBeUndefined();
    const loaded = await gql(
      'mutation { loadSymbol(input: { symbol: "SPY", derivedIntervals: ["5m", "1d"], historicalDays: 2 }) { historical { dates } } }',
    );
    expect(loaded.data).toEqual({ loadSymbol: { historical: { dates: ['2011-03-08', '2011-03-09'] } } });

    const statements: string[] = [];
    const stop = database.onStatement((query) => statements.push(query));
    const r = await gql(`{ symbol(symbol: "SPY") { historical {
        m1: interval(name: "1m") { bars(from: "2011-03-03T00:00:00Z", to: "2011-03-10T00:00:00Z", first: 1) { totalCount nodes { ts open } } }
        d1: interval(name: "1d") { bars(from: "2011-03-01T00:00:00Z", to: "2011-03-10T00:00:00Z") { totalCount nodes { ts volume baseBars } } }
        memory: interval(name: "5m") { quality bars { totalCount } } } } }`);
    stop();
    expect(r.errors).toBeUndefined();
    const spy = readSpy(SPY_MARCH);
    const regular = (date: string, openUtcHour: number) => {
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      const start = Date.UTC(y, m - 1, d, openUtcHour, 30);
      return spy.get(date)!.filter((b) => b.ts >= start && b.ts < start + 390 * 60_000);
    };
    const dates = [
      '2011-03-01',
      '2011-03-02',
      '2011-03-03',
      '2011-03-04',
      '2011-03-07',
      '2011-03-08',
      '2011-03-09',
    ];
    expect(r.data).toEqual({
      symbol: {
        historical: {
          m1: {
            bars: {
              totalCount: 5 * 390,
              nodes: [{ ts: '2011-03-03T14:30:00.000Z', open: regular('2011-03-03', 14)[0]!.open }],
            },
          },
          d1: {
            bars: {
              totalCount: 7,
              nodes: dates.map((date) => ({
                ts: `${date}T14:30:00.000Z`,
                volume: regular(date, 14).reduce((s, b) => s + b.volume, 0),
                baseBars: 390,
              })),
            },
          },
          memory: { quality: 100, bars: { totalCount: 2 * 78 } },
        },
      },
    });
    // 2011-03-01…04 and 03-07 are outside memory: one batched statement for both fields.
    expect(statements.filter((s) => /select/i.test(s))).toHaveLength(1);

    // Relay paging across the edge of memory (03-08 and 03-09 are in memory, the rest stored).
    type Page = {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
      nodes: { ts: string }[];
    };
    const page = async (args: string) => {
      const p = await gql(`{ symbol(symbol: "SPY") { historical { interval(name: "1d") {
          bars(from: "2011-03-01T00:00:00Z", to: "2011-03-10T00:00:00Z", ${args}) {
            totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { ts } } } } } }`);
      expect(p.errors).toBeUndefined();
      const bars = (p.data as { symbol: { historical: { interval: { bars: Page } } } }).symbol.historical
        .interval.bars;
      return { ...bars, days: bars.nodes.map((n) => n.ts.slice(0, 10)) };
    };
    const first = await page('first: 3');
    expect([
      first.totalCount,
      first.days,
      first.pageInfo.hasNextPage,
      first.pageInfo.hasPreviousPage,
    ]).toEqual([7, dates.slice(0, 3), true, false]);
    const second = await page(`first: 3, after: "${first.pageInfo.endCursor}"`);
    expect([second.days, second.pageInfo.hasNextPage, second.pageInfo.hasPreviousPage]).toEqual([
      dates.slice(3, 6),
      true,
      true,
    ]);
    const third = await page(`first: 3, after: "${second.pageInfo.endCursor}"`);
    expect([third.days, third.pageInfo.hasNextPage]).toEqual([dates.slice(6), false]);
    const back = await page(`last: 2, before: "${third.pageInfo.startCursor}"`);
    expect([back.days, back.pageInfo.hasNextPage, back.pageInfo.hasPreviousPage]).toEqual([
      dates.slice(4, 6),
      true,
      true,
    ]);
    const between = await page(
      `after: "${first.pageInfo.startCursor}", before: "${third.pageInfo.startCursor}"`,
    );
    expect(between.days).toEqual(dates.slice(1, 6));
  });
});

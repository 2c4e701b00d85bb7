-- Quotes and ticks get the key (symbol, session_date, seq): seq numbers a symbol's items of one
-- New York session date in arrival order, so updates sharing a millisecond are all kept, a restart
-- restores them in arrival order, and a retried write stores nothing twice. Rows already stored are
-- numbered by (ts, id) within their date. (Written by hand from drizzle-kit's generated statements:
-- those add the NOT NULL columns without filling them, which fails on a table that holds rows.)
ALTER TABLE "quotes" ADD COLUMN "session_date" date;--> statement-breakpoint
ALTER TABLE "quotes" ADD COLUMN "seq" integer;--> statement-breakpoint
UPDATE "quotes" AS q SET "session_date" = n.d, "seq" = n.s
FROM (
  SELECT symbol, ts, d, (row_number() OVER (PARTITION BY symbol, d ORDER BY ts) - 1)::integer AS s
  FROM (SELECT symbol, ts, (to_timestamp(ts / 1000.0) AT TIME ZONE 'America/New_York')::date AS d FROM "quotes") dated
) n
WHERE q.symbol = n.symbol AND q.ts = n.ts;--> statement-breakpoint
ALTER TABLE "quotes" DROP CONSTRAINT "quotes_pkey";--> statement-breakpoint
ALTER TABLE "quotes" ALTER COLUMN "session_date" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "quotes" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "quotes" ADD CONSTRAINT "quotes_pkey" PRIMARY KEY("symbol","session_date","seq");--> statement-breakpoint
ALTER TABLE "ticks" ADD COLUMN "session_date" date;--> statement-breakpoint
ALTER TABLE "ticks" ADD COLUMN "seq" integer;--> statement-breakpoint
UPDATE "ticks" AS t SET "session_date" = n.d, "seq" = n.s
FROM (
  SELECT id, d, (row_number() OVER (PARTITION BY symbol, d ORDER BY ts, id) - 1)::integer AS s
  FROM (SELECT id, symbol, ts, (to_timestamp(ts / 1000.0) AT TIME ZONE 'America/New_York')::date AS d FROM "ticks") dated
) n
WHERE t.id = n.id;--> statement-breakpoint
DROP INDEX "ticks_symbol_ts_idx";--> statement-breakpoint
ALTER TABLE "ticks" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "ticks" ALTER COLUMN "session_date" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "ticks" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "ticks" ADD CONSTRAINT "ticks_pkey" PRIMARY KEY("symbol","session_date","seq");

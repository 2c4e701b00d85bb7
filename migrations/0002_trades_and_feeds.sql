CREATE TABLE "feed_outages" (
	"feed" text NOT NULL,
	"start_ts" bigint NOT NULL,
	"end_ts" bigint,
	"reason" text,
	CONSTRAINT "feed_outages_pkey" PRIMARY KEY("feed","start_ts")
);
--> statement-breakpoint
ALTER TABLE "symbol_config" ADD COLUMN "source" text DEFAULT 'BARS' NOT NULL;--> statement-breakpoint
ALTER TABLE "symbol_config" ADD COLUMN "feed" text DEFAULT 'api' NOT NULL;--> statement-breakpoint
ALTER TABLE "ticks" ADD COLUMN "trade_id" text;--> statement-breakpoint
ALTER TABLE "ticks" ADD COLUMN "exchange" text;--> statement-breakpoint
ALTER TABLE "ticks" ADD COLUMN "conditions" text;--> statement-breakpoint
ALTER TABLE "ticks" ADD COLUMN "tape" text;--> statement-breakpoint
ALTER TABLE "ticks" ADD COLUMN "replaces" text;--> statement-breakpoint
ALTER TABLE "ticks" ADD COLUMN "cancels" text;
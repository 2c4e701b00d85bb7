CREATE TABLE "bars" (
	"symbol" text NOT NULL,
	"interval" text NOT NULL,
	"ts" bigint NOT NULL,
	"session_date" date NOT NULL,
	"open" double precision NOT NULL,
	"high" double precision NOT NULL,
	"low" double precision NOT NULL,
	"close" double precision NOT NULL,
	"volume" double precision NOT NULL,
	"vwap" double precision,
	"trade_count" integer,
	"revision" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "bars_pkey" PRIMARY KEY("symbol","interval","ts")
);
--> statement-breakpoint
CREATE TABLE "quotes" (
	"symbol" text NOT NULL,
	"ts" bigint NOT NULL,
	"bid" double precision NOT NULL,
	"bid_size" double precision NOT NULL,
	"ask" double precision NOT NULL,
	"ask_size" double precision NOT NULL,
	CONSTRAINT "quotes_pkey" PRIMARY KEY("symbol","ts")
);
--> statement-breakpoint
CREATE TABLE "session_state" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"date" date NOT NULL,
	"clock_mode" text DEFAULT 'LIVE' NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"clock" bigint,
	"replay_speed" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_state_singleton" CHECK ("session_state"."id" = 1),
	CONSTRAINT "session_state_clock_mode" CHECK ("session_state"."clock_mode" in ('LIVE', 'REPLAY', 'MANUAL'))
);
--> statement-breakpoint
CREATE TABLE "symbol_config" (
	"symbol" text PRIMARY KEY NOT NULL,
	"base_interval" text NOT NULL,
	"derived_intervals" text[] DEFAULT '{}'::text[] NOT NULL,
	"historical_days" integer DEFAULT 0 NOT NULL,
	"extended_hours" boolean DEFAULT false NOT NULL,
	"indicators" text[] DEFAULT '{}'::text[] NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"symbol" text NOT NULL,
	"ts" bigint NOT NULL,
	"price" double precision NOT NULL,
	"size" double precision NOT NULL
);
--> statement-breakpoint
CREATE INDEX "bars_symbol_interval_date_idx" ON "bars" USING btree ("symbol","interval","session_date");--> statement-breakpoint
CREATE INDEX "ticks_symbol_ts_idx" ON "ticks" USING btree ("symbol","ts");
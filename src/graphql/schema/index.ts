/**
 * The GraphQL schema: imports every type file (each registers its type and root fields with the
 * builder) and builds the schema once.
 */
import '../types/bar.ts';
import '../types/bar-connection.ts';
import '../types/bar-edge.ts';
import '../types/bar-event.ts';
import '../types/export.ts';
import '../types/feed.ts';
import '../types/gap.ts';
import '../types/historical.ts';
import '../types/historical-interval.ts';
import '../types/indicator.ts';
import '../types/ingest-result.ts';
import '../types/interval.ts';
import '../types/page-info.ts';
import '../types/quote.ts';
import '../types/replay-status.ts';
import '../types/session.ts';
import '../types/session-event.ts';
import '../types/session-metrics.ts';
import '../types/symbol.ts';
import '../types/tick.ts';
import '../types/trading-day.ts';
import { type GraphQLSchema, lexicographicSortSchema } from 'graphql/index.js';
import { builder } from '../builder.ts';

/** The schema, types and fields sorted by name (stable printing). */
export const schema: GraphQLSchema = lexicographicSortSchema(builder.toSchema());

import { defineConfig } from 'drizzle-kit';

/** drizzle-kit reads the table sources in `drizzle/` and writes SQL migrations into `migrations/`. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './drizzle/schema.ts',
  out: './migrations',
  strict: true,
});

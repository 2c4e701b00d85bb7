/**
 * `npm run schema:print`: writes schema.graphql from the Pothos code (types and fields sorted by
 * name, so the file only changes when the schema does). `--check` exits 1 when the file differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql/index.js';
import { schema } from '../src/graphql/schema/index.ts';

/** The printed schema, as schema.graphql holds it. */
export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}

const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = printedSchema();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {}
    if (current !== text) {
      console.error('schema.graphql is out of date: run npm run schema:print');
      process.exit(1);
    }
    console.log('schema.graphql is up to date');
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}

/**
 * The error codes src/graphql/README.md documents are exactly those of src/graphql/error-codes.ts,
 * with the same HTTP statuses and transports.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/graphql/error-codes.ts';

function documented(): Map<string, { http: number[]; transports: string[] }> {
  const readme = readFileSync('src/graphql/README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Errors'), readme.indexOf('## Limits'));
  const rows = new Map<string, { http: number[]; transports: string[] }>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 5 || !cells[1]!.startsWith('`')) continue;
    const http = [...cells[2]!.matchAll(/\d{3}/g)].map((m) => Number(m[0])).sort();
    const transports = cells[3]!.split(',').map((t) => t.trim());
    for (const match of cells[1]!.matchAll(/`([A-Z_]+)`/g)) rows.set(match[1]!, { http, transports });
  }
  return rows;
}

describe('the documented error codes', () => {
  it('are the codes of error-codes.ts, with their HTTP statuses and transports', () => {
    const table = documented();
    expect([...table.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect([code, table.get(code)]).toEqual([
        code,
        { http: [...info.http].sort(), transports: [...info.transports] },
      ]);
    }
  });
});

/** The request-shape measures (src/graphql/request-shape.ts): iterative, bounded, exact. */
import { describe, expect, it } from 'vitest';
import { documentNesting, valueNesting, variablesProblem } from '../../src/graphql/request-shape.ts';

describe('documentNesting', () => {
  it('counts brackets, braces and parentheses, not those inside strings or comments', () => {
    expect(documentNesting('{ a }', 100)).toBe(1);
    expect(documentNesting('{ a(x: [[1]]) { b } }', 100)).toBe(4);
    expect(documentNesting('{ a(x: "[[[[[[") # {{{{{{\n }', 100)).toBe(2);
    expect(documentNesting('{ a(x: """ ((( """) }', 100)).toBe(2);
  });

  it('reads at most the token limit, and leaves syntax errors to the parser', () => {
    const deep = `${'['.repeat(100_000)}`;
    expect(documentNesting(deep, 2_000)).toBe(2_001);
    expect(documentNesting('{ a(x: "unterminated', 100)).toBe(2);
  });
});

describe('valueNesting', () => {
  it('measures arrays and objects without recursion, giving up past the limit', () => {
    expect(valueNesting(1, 32)).toBe(0);
    expect(valueNesting({ a: [1, { b: [] }] }, 32)).toBe(4);
    let deep: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(valueNesting(deep, 32)).toBe(33);
  });

  it('makes variables of the wrong type or too deep a 400 BAD_USER_INPUT', () => {
    expect(variablesProblem(undefined, 32)).toBeNull();
    expect(variablesProblem({ a: [[1]] }, 32)).toBeNull();
    for (const bad of [[1], 'x', 3, { a: [[[[1]]]] }]) {
      expect(variablesProblem(bad, 3)?.extensions).toEqual({ code: 'BAD_USER_INPUT', http: { status: 400 } });
    }
  });
});

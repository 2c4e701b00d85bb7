/**
 * Validation of resolver arguments. Each helper returns the clean value or throws a GraphQL error
 * with a stable code and a message naming the argument.
 */
import { type GraphQLResolveInfo, getArgumentValues } from 'graphql/index.js';
import { normaliseSymbol } from '../domain/bar-validation.ts';
import { IntervalError, parseInterval } from '../domain/intervals.ts';
import type { Instant } from '../domain/types.ts';
import { type DateTimeInput, isInvalidDateTime } from './builder.ts';
import { userError } from './errors.ts';

/**
 * A DateTime argument as an instant (null/undefined pass through).
 * @throws GraphQLError BAD_USER_INPUT when it did not parse
 */
export function instantArg(name: string, value: DateTimeInput): Instant;
export function instantArg(name: string, value: DateTimeInput | null | undefined): Instant | null;
export function instantArg(name: string, value: DateTimeInput | null | undefined): Instant | null {
  if (value === null || value === undefined) return null;
  if (isInvalidDateTime(value)) throw userError('BAD_USER_INPUT', `${name}: ${value.message}`);
  return value;
}

/**
 * A symbol argument, trimmed and upper-cased.
 * @throws GraphQLError BAD_USER_INPUT when it is not a valid symbol
 */
export function symbolArg(name: string, value: string): string {
  const symbol = normaliseSymbol(value);
  if (symbol === null) {
    throw userError(
      'BAD_USER_INPUT',
      `${name}: "${value}" is not a valid symbol (a letter, then up to 15 letters, digits, "." or "-")`,
    );
  }
  return symbol;
}

/** A list of symbols as a set (null = all). */
export function symbolSetArg(name: string, values: readonly string[] | null | undefined): Set<string> | null {
  if (values === null || values === undefined) return null;
  return new Set(values.map((v) => symbolArg(name, v)));
}

/**
 * An interval name in its canonical spelling (`60m` → `1h`).
 * @throws GraphQLError INVALID_INTERVAL
 */
export function intervalArg(name: string, value: string): string {
  try {
    return parseInterval(value).name;
  } catch (error) {
    if (error instanceof IntervalError) throw userError('INVALID_INTERVAL', `${name}: ${error.message}`);
    throw error;
  }
}

/** A list of interval names as a set of canonical names (null = all). */
export function intervalSetArg(
  name: string,
  values: readonly string[] | null | undefined,
): Set<string> | null {
  if (values === null || values === undefined) return null;
  return new Set(values.map((v) => intervalArg(name, v)));
}

/**
 * A count argument in [0, max].
 * @throws GraphQLError BAD_USER_INPUT when negative, PAGE_TOO_LARGE above `max`
 */
export function countArg(name: string, value: number, max: number): number {
  if (value < 0) throw userError('BAD_USER_INPUT', `${name} must be ≥ 0, got ${value}`);
  if (value > max) throw userError('PAGE_TOO_LARGE', `${name} may be at most ${max}, got ${value}`);
  return value;
}

/**
 * The arguments of a subscription field, read from the field node and the operation's variables.
 * graphql-jit hands a subscription's `subscribe` resolver the operation variables instead of the
 * field's arguments; reading them from `info` gives the same answer under every executor.
 */
export function subscriptionArgs<T>(info: GraphQLResolveInfo): T {
  const field = info.parentType.getFields()[info.fieldName];
  const node = info.fieldNodes[0];
  if (!field || !node) throw new Error(`no field ${info.fieldName} on ${info.parentType.name}`);
  return getArgumentValues(field, node, info.variableValues) as T;
}

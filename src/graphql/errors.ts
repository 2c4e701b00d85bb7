/**
 * Errors the API reports. Our own errors carry a stable `extensions.code`: ServiceError from the
 * tree and the service, and GraphQLErrors made with {@link userError}. Everything else is masked
 * ("Unexpected error.", code INTERNAL_SERVER_ERROR) and logged.
 */
import { GraphQLError } from 'graphql/index.js';
import { ServiceError } from '../domain/errors.ts';
import { IntervalError } from '../domain/intervals.ts';

/** A user-facing GraphQL error with a stable code. */
export function userError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** An error's extensions (graphql-jit makes GraphQLErrors without any, whatever the type says). */
function extensionsOf(error: GraphQLError): Readonly<Record<string, unknown>> {
  return (error.extensions as Readonly<Record<string, unknown>> | undefined) ?? {};
}

/** Where an error points in the document (its nodes, source and positions). */
function placeOf(error: GraphQLError) {
  return {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
  };
}

/** Whether an error is one of ours (its message and code may be shown). */
function codeOf(error: unknown): string | null {
  if (error instanceof ServiceError) return error.code;
  if (error instanceof IntervalError) return error.code;
  if (error instanceof GraphQLError) {
    const code = extensionsOf(error)['code'];
    return typeof code === 'string' ? code : null;
  }
  return null;
}

/** Something that receives unexpected errors (a pino logger fits). */
export interface ErrorLog {
  error(obj: object, msg?: string): void;
}

/**
 * A request error without a code of its own — a variable that does not coerce to its type, from
 * graphql-js (mutations) or graphql-jit (queries and subscriptions) alike — becomes BAD_USER_INPUT
 * with HTTP status 400 (what yoga's own executor answers), its message kept whole: it names the
 * variable and the place in it (`Variable "$bars" got invalid value "x" at "bars[3].open"; …`).
 */
function requestError(error: GraphQLError, code: string): GraphQLError {
  const extensions = extensionsOf(error);
  const http = extensions['http'];
  return new GraphQLError(error.message, {
    ...placeOf(error),
    extensions: {
      ...extensions,
      code,
      http: { ...(typeof http === 'object' && http !== null ? http : {}), status: 400 },
    },
  });
}

/**
 * The yoga `maskError` hook: keeps our errors (with their code), GraphQL's own request errors
 * (syntax and validation with yoga's codes, variable coercion as BAD_USER_INPUT) and masks the rest.
 */
export function createMaskError(log: ErrorLog | null) {
  return (error: unknown, message: string): Error => {
    if (error instanceof GraphQLError) {
      const original = error.originalError ?? null;
      if (error.path === undefined && codeOf(error) === null) {
        // Outside execution and without a code: a variable that did not coerce (syntax and
        // validation errors carry yoga's codes). A scalar of ours may have said why, with a code.
        const inner = original === null ? null : codeOf(original);
        if (original === null || original instanceof GraphQLError || inner !== null) {
          return requestError(error, inner ?? 'BAD_USER_INPUT');
        }
      }
      if (original === null) return error;
      const code = codeOf(original);
      if (code !== null) {
        return new GraphQLError(original.message, {
          ...placeOf(error),
          ...(error.path ? { path: error.path } : {}),
          extensions: { ...extensionsOf(error), code },
        });
      }
      if (original instanceof GraphQLError) return createMaskError(log)(original, message);
      log?.error({ err: original, path: error.path }, 'unexpected error in a resolver');
      return new GraphQLError(message, {
        ...(error.nodes ? { nodes: error.nodes } : {}),
        ...(error.path ? { path: error.path } : {}),
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
    }
    const code = codeOf(error);
    if (code !== null) return new GraphQLError((error as Error).message, { extensions: { code } });
    log?.error({ err: error }, 'unexpected error');
    return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}

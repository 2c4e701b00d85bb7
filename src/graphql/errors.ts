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

/** Whether an error is one of ours (its message and code may be shown). */
function codeOf(error: unknown): string | null {
  if (error instanceof ServiceError) return error.code;
  if (error instanceof IntervalError) return error.code;
  if (error instanceof GraphQLError) {
    const code = error.extensions['code'];
    return typeof code === 'string' ? code : null;
  }
  return null;
}

/** Something that receives unexpected errors (a pino logger fits). */
export interface ErrorLog {
  error(obj: object, msg?: string): void;
}

/**
 * The yoga `maskError` hook: keeps our errors (with their code), GraphQL's own request errors
 * (syntax, validation, variable coercion — no original error) and masks the rest.
 */
export function createMaskError(log: ErrorLog | null) {
  return (error: unknown, message: string): Error => {
    if (error instanceof GraphQLError) {
      const original = error.originalError;
      if (original === undefined || original === null) return error;
      const code = codeOf(original);
      if (code !== null) {
        return new GraphQLError(original.message, {
          ...(error.nodes ? { nodes: error.nodes } : {}),
          ...(error.source ? { source: error.source } : {}),
          ...(error.positions ? { positions: error.positions } : {}),
          ...(error.path ? { path: error.path } : {}),
          extensions: { ...error.extensions, code },
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

/**
 * Errors the API reports. Our own errors carry a stable `extensions.code`: ServiceError from the
 * tree and the service, and GraphQLErrors made with {@link userError}. Everything else is masked
 * ("Unexpected error.", code INTERNAL_SERVER_ERROR) and logged.
 */
import {
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
} from 'graphql/index.js';
import { ServiceError } from '../domain/errors.ts';
import { IntervalError } from '../domain/intervals.ts';
import { HTTP_REFUSAL_CODES } from './http-refusals.ts';

/** A user-facing GraphQL error with a stable code. */
export function userError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/**
 * Extensions that never reach a client: a JavaScript error's name and message (yoga's
 * `originalError` of an unreadable body), stack traces, yoga's `unexpected` marker.
 */
const INTERNAL_EXTENSIONS = ['originalError', 'stacktrace', 'exception', 'unexpected'] as const;

/**
 * An error's extensions without the internal ones (graphql-jit makes GraphQLErrors without any,
 * whatever the type says). `http` stays: yoga reads the status from it and never serialises it.
 */
function extensionsOf(error: GraphQLError): Readonly<Record<string, unknown>> {
  const extensions = (error.extensions as Readonly<Record<string, unknown>> | undefined) ?? {};
  if (!INTERNAL_EXTENSIONS.some((key) => key in extensions)) return extensions;
  const kept: Record<string, unknown> = { ...extensions };
  for (const key of INTERNAL_EXTENSIONS) delete kept[key];
  // yoga answers an error holding a JavaScript error with its HTTP status whatever the media type
  // (a body that is not JSON is 400 even for application/json): without it, say so outright.
  const http = kept['http'];
  if (typeof http === 'object' && http !== null) kept['http'] = { ...http, spec: false };
  return kept;
}

/** Whether an error's extensions hold something internal. */
function holdsInternals(error: GraphQLError): boolean {
  const extensions = error.extensions as Readonly<Record<string, unknown>> | undefined;
  return extensions !== undefined && INTERNAL_EXTENSIONS.some((key) => key in extensions);
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
function coercionError(error: GraphQLError, code: string): GraphQLError {
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
  const mask = maskWith(log);
  return (error: unknown, message: string): Error => withStatusCode(mask(error, message));
}

/**
 * An error with an HTTP status that has a code of its own (405 METHOD_NOT_ALLOWED, 406, 413, …;
 * see {@link HTTP_REFUSAL_CODES}) carries that code, whatever yoga named it (BAD_REQUEST for a
 * mutation over GET): one code per refusal on every path an answer takes.
 */
function withStatusCode(error: Error): Error {
  if (!(error instanceof GraphQLError)) return error;
  const extensions = extensionsOf(error);
  const status = (extensions['http'] as { status?: unknown } | undefined)?.status;
  const code = typeof status === 'number' && status !== 400 ? HTTP_REFUSAL_CODES[status] : undefined;
  if (code === undefined || extensions['code'] === code) return error;
  return new GraphQLError(error.message, {
    ...placeOf(error),
    ...(error.path ? { path: error.path } : {}),
    extensions: { ...extensions, code },
  });
}

function maskWith(log: ErrorLog | null) {
  return (error: unknown, message: string): Error => {
    if (error instanceof GraphQLError) {
      const original = error.originalError ?? null;
      if (error.path === undefined && codeOf(error) === null) {
        // Outside execution and without a code: a variable that did not coerce (syntax and
        // validation errors carry yoga's codes). A scalar of ours may have said why, with a code.
        const inner = original === null ? null : codeOf(original);
        if (original === null || original instanceof GraphQLError || inner !== null) {
          return coercionError(error, inner ?? 'BAD_USER_INPUT');
        }
      }
      if (original === null) {
        if (codeOf(error) !== null) {
          if (!holdsInternals(error)) return error;
          return new GraphQLError(error.message, {
            ...placeOf(error),
            ...(error.path ? { path: error.path } : {}),
            extensions: extensionsOf(error),
          });
        }
        log?.error({ err: error, path: error.path }, 'an error without a code');
        return new GraphQLError(message, {
          ...(error.nodes ? { nodes: error.nodes } : {}),
          ...(error.path ? { path: error.path } : {}),
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      }
      const code = codeOf(original);
      if (code !== null) {
        return new GraphQLError(original.message, {
          ...placeOf(error),
          ...(error.path ? { path: error.path } : {}),
          extensions: { ...extensionsOf(error), code },
        });
      }
      if (original instanceof GraphQLError) return maskWith(log)(original, message);
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

/**
 * An error as a streaming transport (graphql-ws, single-connection SSE) sends it: masked like
 * every answer ({@link createMaskError}), then without the extensions only HTTP needs (`http`).
 */
export function formatStreamError(
  error: unknown,
  mask: (error: unknown, message: string) => Error,
): GraphQLFormattedError {
  const masked = mask(error, 'Unexpected error.');
  const graphql = masked instanceof GraphQLError ? masked : new GraphQLError(masked.message);
  const { http: _http, ...extensions } = extensionsOf(graphql);
  const json = graphql.toJSON();
  return {
    message: json.message,
    ...(json.locations ? { locations: json.locations } : {}),
    ...(json.path ? { path: json.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...extensions },
  };
}

/** An execution result as a streaming transport sends it (its errors through {@link formatStreamError}). */
export function formatStreamResult(
  result: ExecutionResult,
  mask: (error: unknown, message: string) => Error,
): FormattedExecutionResult {
  if (!result.errors?.length) return result as FormattedExecutionResult;
  const { errors, ...rest } = result;
  return {
    ...rest,
    errors: errors.map((error) => formatStreamError(error, mask)),
  } as FormattedExecutionResult;
}

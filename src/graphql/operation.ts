/**
 * One operation of a streaming transport (graphql-ws, and graphql-sse's single connection mode),
 * from its parameters to its result, over yoga's enveloped pipeline: the same plugins, limits,
 * masking and codes as an HTTP request. Nothing here throws: every refusal — a parse, validation
 * or limit error, a failure of the context, an exception of the executor — becomes coded errors
 * for that operation alone, so one bad operation never ends a connection and its other operations.
 */
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  getOperationAST,
  type OperationTypeNode,
} from 'graphql/index.js';
import { isAsyncIterable } from 'graphql-yoga';
import { formatStreamError, formatStreamResult } from './errors.ts';
import { variablesTypeProblem } from './request-shape.ts';

/** The parameters of one operation as a transport received them (not yet checked). */
export interface OperationParams {
  readonly query?: unknown;
  readonly variables?: unknown;
  readonly operationName?: unknown;
}

type Enveloped = {
  readonly schema: ExecutionArgs['schema'];
  parse(source: string): DocumentNode;
  validate(schema: ExecutionArgs['schema'], document: DocumentNode): readonly GraphQLError[];
  contextFactory(): unknown;
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
};

/** What the entry needs of the yoga server. */
export interface OperationHost {
  getEnveloped(initial: Record<string, unknown>): Enveloped;
}

/** A checked operation, ready to run. */
export interface PreparedOperation {
  readonly args: ExecutionArgs;
  readonly operation: OperationTypeNode;
}

/** A refusal: the operation's errors. */
export interface RefusedOperation {
  readonly errors: readonly GraphQLError[];
}

/** The results of an operation: one result, or a stream of them. */
export type OperationResult = ExecutionResult | AsyncIterable<ExecutionResult>;

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } });
}

function asError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  return new GraphQLError(error instanceof Error ? error.message : String(error), {
    originalError: error instanceof Error ? error : null,
  });
}

/** Operations of streaming transports over one yoga server. */
export class OperationEntry {
  readonly #host: OperationHost;
  readonly #mask: (error: unknown, message: string) => Error;
  readonly #pipelines = new WeakMap<ExecutionArgs, Enveloped>();

  constructor(host: OperationHost, mask: (error: unknown, message: string) => Error) {
    this.#host = host;
    this.#mask = mask;
  }

  /**
   * Checks, parses and validates an operation and builds its context. `initial` is what the
   * context factory receives (the upgrade request, connection parameters).
   */
  async prepare(
    initial: Record<string, unknown>,
    params: OperationParams,
  ): Promise<PreparedOperation | RefusedOperation> {
    try {
      const { query, variables, operationName } = params;
      if (typeof query !== 'string' || query === '')
        return { errors: [badRequest('query must be a string')] };
      if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
        return { errors: [badRequest('operationName must be a string')] };
      }
      const problem = variablesTypeProblem(variables); // their nesting: at execute (request-shape.ts)
      if (problem !== null) return { errors: [problem] };
      const enveloped = this.#host.getEnveloped({ ...initial, params });
      const document = enveloped.parse(query);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) return { errors };
      const ast = getOperationAST(document, (operationName as string | null | undefined) ?? undefined);
      if (!ast) {
        return {
          errors: [
            new GraphQLError(
              typeof operationName === 'string'
                ? `the document has no operation named "${operationName}"`
                : 'the document has several operations: name the one to run (operationName)',
              { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } },
            ),
          ],
        };
      }
      const args: ExecutionArgs = {
        schema: enveloped.schema,
        document,
        operationName: (operationName as string | null | undefined) ?? null,
        variableValues: (variables as Record<string, unknown> | null | undefined) ?? null,
        contextValue: await enveloped.contextFactory(),
      };
      this.#pipelines.set(args, enveloped);
      return { args, operation: ast.operation };
    } catch (error) {
      return { errors: [asError(error)] };
    }
  }

  /** Runs a prepared operation: its result or its stream; an exception becomes an error result. */
  async run(args: ExecutionArgs): Promise<OperationResult> {
    const enveloped = this.#pipelines.get(args);
    if (enveloped === undefined) return { errors: [badRequest('the operation was not prepared')] };
    const ast = getOperationAST(args.document, args.operationName ?? undefined);
    try {
      const result = await (ast?.operation === 'subscription'
        ? enveloped.subscribe(args)
        : enveloped.execute(args));
      return isAsyncIterable(result)
        ? (result as AsyncIterable<ExecutionResult>)
        : (result as ExecutionResult);
    } catch (error) {
      return { errors: [asError(error)] };
    }
  }

  /** Errors as the client gets them: masked, coded, without internals. */
  formatErrors(errors: readonly unknown[]): GraphQLFormattedError[] {
    return errors.map((error) => formatStreamError(error, this.#mask));
  }

  /** A result as the client gets it. */
  formatResult(result: ExecutionResult): FormattedExecutionResult {
    return formatStreamResult(result, this.#mask);
  }
}

/**
 * The GraphQL server (graphql-yoga) over the session tree: schema, per-request context (admin
 * check, fresh DataLoaders), masked errors, abuse limits (graphql-armor, body size, batch size),
 * GraphiQL served offline (src/graphql/graphiql.ts), and SSE in both modes of the graphql-sse
 * protocol on /graphql. Queries and subscriptions run through graphql-jit (compiled once per
 * distinct document, cached with yoga's parsed-document cache): a nested read of thousands of bars
 * then costs about what building and serialising the same plain objects by hand does, where
 * graphql-js's interpreter costs three to four times more, and each subscription event is a
 * compiled function call. Mutations keep the reference executor (they are few and small). The
 * WebSocket transport (graphql-ws) is wired by the HTTP server on the same path
 * (src/http/listen.ts).
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  type ExecutionResult,
  type GraphQLError,
  getOperationAST,
  type ValidationContext,
} from 'graphql/index.js';
import { createHandler as createSseHandler } from 'graphql-sse/lib/use/fetch';
import { createYoga as createYogaServer, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { adminAccess } from './auth.ts';
import type { Context, GraphqlMetrics, GraphqlService, HistoryLoaders } from './context.ts';
import { createMaskError, type ErrorLog } from './errors.ts';
import { renderOfflineGraphiQL } from './graphiql.ts';
import { hotPathPlugin } from './hot-path.ts';
import { httpRefusalsPlugin } from './http-refusals.ts';
import { jsonAnswersPlugin } from './json-answers.ts';
import { type Limits, resolveLimits } from './limits.ts';
import { type OperationEntry, OperationEntry as Operations } from './operation.ts';
import { SessionPubSub } from './pubsub.ts';
import { requestShapePlugin } from './request-shape.ts';
import { type ResultCacheOptions, resultCachePlugin } from './result-cache.ts';
import { schema } from './schema/index.ts';

/** A pino-like logger. */
export interface Logger extends ErrorLog {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
}

/** What the GraphQL server is built from. */
export interface YogaDeps {
  /** The session service: all mutations go through it; reads use `service.session`. */
  readonly service: GraphqlService;
  /** Makes the per-request loaders of stored bars (called once per request); null: no store. */
  readonly createLoaders?: (() => HistoryLoaders) | null;
  /** The admin token mutations require. */
  readonly adminToken: string;
  readonly logger?: Logger | null;
  /** Overrides of the default limits (src/graphql/limits.ts). */
  readonly limits?: Partial<Limits>;
  readonly metrics?: GraphqlMetrics | null;
  /** Serve GraphiQL on GET /graphql from a browser (default true). */
  readonly graphiql?: boolean;
  /** The query result cache keyed by the tree's change sequence (src/graphql/result-cache.ts); false: off. */
  readonly resultCache?: ResultCacheOptions | false;
  /** The read path's executor with per-bar fragments (src/graphql/hot-path.ts); false: graphql-jit only. */
  readonly hotPath?: boolean;
}

/** What a transport hands the context factory (yoga's request, or graphql-ws's connection). */
interface InitialContext {
  readonly request?: Request;
  readonly connectionParams?: Readonly<Record<string, unknown>>;
  readonly req?: { readonly headers: Readonly<Record<string, string | string[] | undefined>> };
}

/** The yoga server with the pieces the HTTP layer needs. */
export type SessionYoga = YogaServerInstance<Record<string, unknown>, Context> & {
  /** Subscriber streams (closed when the yoga server is disposed). */
  readonly pubsub: SessionPubSub;
  readonly limits: Limits;
  /** Operations of the streaming transports (graphql-ws; graphql-sse's single connection mode). */
  readonly operations: OperationEntry;
};

const EXAMPLE_QUERY = `# Everything about the session's symbols in one request
query Session {
  session {
    date
    phase
    time
    symbols {
      symbol
      metrics { volume vwap last }
      intervals {
        name
        quality
        gapCount
        bars(last: 5) { nodes { ts open high low close volume complete } }
      }
    }
  }
}

# Live bars (run it on its own):
# subscription { barUpdates(intervals: ["1m"]) { symbol interval kind bar { ts close volume } } }
`;

function headerOf(initial: InitialContext): string | null {
  const fromRequest = initial.request?.headers.get('authorization');
  if (fromRequest) return fromRequest;
  const params = initial.connectionParams;
  const fromParams = params?.['authorization'] ?? params?.['Authorization'];
  if (typeof fromParams === 'string') return fromParams;
  const fromUpgrade = initial.req?.headers['authorization'];
  return typeof fromUpgrade === 'string' ? fromUpgrade : null;
}

/** Refuses bodies above the limit from their Content-Length (the HTTP server also counts bytes). */
function bodyLimitPlugin(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const length = Number(request.headers.get('content-length') ?? '0');
      if (length > maxBytes) {
        endResponse(
          new fetchAPI.Response(
            JSON.stringify({
              errors: [
                {
                  message: `request body of ${length} bytes is larger than the limit of ${maxBytes} bytes`,
                  extensions: { code: 'BODY_TOO_LARGE' },
                },
              ],
            }),
            { status: 413, headers: { 'content-type': 'application/json; charset=utf-8' } },
          ),
        );
      }
    },
  };
}

/**
 * The graphql-sse protocol's single connection mode (PUT reserves a stream, the token header or
 * query parameter addresses it) on /graphql, its operations through {@link OperationEntry} like
 * graphql-ws'. Distinct connections mode — a POST or GET with `Accept: text/event-stream` — is
 * yoga's own SSE and needs nothing extra.
 */
function singleConnectionSsePlugin(operations: () => OperationEntry): Plugin {
  const contexts = new WeakMap<Request, Record<string, unknown>>();
  let handler: ((request: Request) => Promise<Response>) | null = null;
  return {
    onYogaInit({ yoga }) {
      handler = createSseHandler(
        {
          onSubscribe: async (request, params) => {
            const entry = operations();
            const prepared = await entry.prepare(
              { ...contexts.get(request.raw), request: request.raw },
              params,
            );
            // graphql-sse sends what it gets as JSON: formatted errors are what it would make of them.
            if ('errors' in prepared)
              return {
                data: null,
                errors: entry.formatErrors(prepared.errors),
              } as unknown as ExecutionResult;
            return (await entry.run(prepared.args)) as ExecutionResult;
          },
          onNext: (_ctx, _request, result) =>
            operations().formatResult(result as ExecutionResult) as unknown as ExecutionResult,
        },
        yoga.fetchAPI,
      );
    },
    onRequest({ request, endResponse, serverContext }) {
      const url = new URL(request.url);
      const single =
        request.method === 'PUT' ||
        (request.method === 'DELETE' && url.searchParams.has('token')) ||
        request.headers.has('x-graphql-event-stream-token') ||
        url.searchParams.has('token');
      if (!single || handler === null) return;
      contexts.set(request, serverContext as Record<string, unknown>);
      return handler(request).then(endResponse);
    },
  };
}

function codeRejections(code: string) {
  return [
    (_ctx: ValidationContext | null, error: GraphQLError) => {
      const extensions = error.extensions as Record<string, unknown>;
      extensions['code'] = code;
      extensions['http'] = { spec: true, status: 400 };
    },
  ];
}

function disposePlugin(pubsub: SessionPubSub): Plugin {
  return {
    onDispose() {
      pubsub.close();
    },
  };
}

/**
 * Builds the GraphQL server. app.ts calls it; tests call `yoga.fetch`; src/http/listen.ts serves
 * it over HTTP, SSE and WebSocket.
 */
export function createYoga(deps: YogaDeps): SessionYoga {
  const limits = resolveLimits(deps.limits);
  const session = deps.service.session;
  const pubsub = new SessionPubSub(session.events, limits.subscriberQueue);
  const logger = deps.logger ?? null;
  const maskError = createMaskError(logger);
  let operations: OperationEntry | null = null;
  const yoga = createYogaServer<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql:
      deps.graphiql === false ? false : { title: 'Session data service', defaultQuery: EXAMPLE_QUERY },
    renderGraphiQL: renderOfflineGraphiQL,
    logging: logger
      ? {
          debug: (...args: unknown[]) => logger.debug(args.map(String).join(' ')),
          info: (...args: unknown[]) => logger.info(args.map(String).join(' ')),
          warn: (...args: unknown[]) => logger.warn(args.map(String).join(' ')),
          error: (...args: unknown[]) => logger.error({ args: args.map(String) }, 'graphql'),
        }
      : false,
    maskedErrors: { maskError },
    context: (initial): Context => {
      const request = (initial as InitialContext).request;
      return {
        service: deps.service,
        session,
        admin: adminAccess(headerOf(initial as InitialContext), deps.adminToken),
        loaders: deps.createLoaders ? deps.createLoaders() : null,
        limits,
        pubsub,
        metrics: deps.metrics ?? null,
        // Read when a subscription needs it: making a request's AbortSignal costs on every query.
        get signal() {
          return request?.signal ?? null;
        },
        memo: new Map(),
      };
    },
    plugins: [
      bodyLimitPlugin(limits.maxBodyBytes),
      singleConnectionSsePlugin(() => operations!),
      EnvelopArmorPlugin({
        maxDepth: { n: limits.maxDepth, onReject: codeRejections('DEPTH_LIMIT') },
        maxAliases: { n: limits.maxAliases, onReject: codeRejections('ALIAS_LIMIT') },
        maxTokens: { n: limits.maxTokens, onReject: codeRejections('TOKEN_LIMIT') },
        maxDirectives: { n: limits.maxDirectives, onReject: codeRejections('DIRECTIVE_LIMIT') },
        costLimit: { maxCost: limits.maxCost, onReject: codeRejections('COST_LIMIT') },
        blockFieldSuggestion: { enabled: true },
      }),
      requestShapePlugin(limits),
      ...(deps.resultCache === false ? [] : [resultCachePlugin(session, deps.resultCache ?? {})]),
      jsonAnswersPlugin(),
      useGraphQlJit(
        {},
        {
          enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation !== 'mutation',
          onError: (r) => logger?.warn({ errors: r.errors }, 'graphql-jit could not compile a document'),
        },
      ),
      ...(deps.hotPath === false ? [] : [hotPathPlugin()]),
      disposePlugin(pubsub),
      httpRefusalsPlugin(),
    ],
  });
  operations = new Operations(yoga as never, maskError);
  return Object.assign(yoga, { pubsub, limits, operations }) as SessionYoga;
}

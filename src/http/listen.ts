/**
 * The HTTP server: plain routes (src/http/routes.ts), GraphQL over HTTP and SSE (yoga) and
 * GraphQL over WebSocket (graphql-ws protocol, src/http/graphql-ws.ts) on the same `/graphql` path,
 * request metrics, a request body limit, coded answers to what Node's HTTP parser refuses, and a
 * clean close.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { SessionYoga } from '../graphql/yoga.ts';
import type { SessionData } from '../session/session-data.ts';
import { serveGraphqlWs } from './graphql-ws.ts';
import type { ServiceMetrics } from './metrics.ts';
import { handleRoute, routeOf } from './routes.ts';

/** What the server serves. */
export interface ListenOptions {
  readonly yoga: SessionYoga;
  readonly session: SessionData;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly metrics?: ServiceMetrics | null;
  readonly ready?: () => boolean | Promise<boolean>;
  /** More for the `/ready` body (see RouteDeps). */
  readonly readyDetails?: () => Record<string, unknown>;
  /** Receives unexpected errors of the plain routes. */
  readonly onError?: (error: unknown) => void;
}

/** A listening server. */
export interface HttpService {
  readonly server: Server;
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, ends every subscription and connection. Idempotent. */
  close(): Promise<void>;
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * What Node's HTTP parser refuses before any handler runs (malformed HTTP, a head above the header
 * size limit) gets a coded JSON answer too, then the connection is closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'HEADERS_TOO_LARGE',
          'the request head (URL and headers) is larger than 16 KiB: send the query in a POST body',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
        : [400, 'BAD_REQUEST', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Starts listening. */
export async function listen(options: ListenOptions): Promise<HttpService> {
  const { yoga, metrics } = options;
  const maxBody = yoga.limits.maxBodyBytes;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (metrics) {
      res.once('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.observeRequest(routeOf(path), req.method ?? 'GET', res.statusCode, seconds);
      });
    }
    handleRoute(
      {
        session: options.session,
        metrics: metrics ?? null,
        ...(options.ready ? { ready: options.ready } : {}),
        ...(options.readyDetails ? { readyDetails: options.readyDetails } : {}),
      },
      req,
      res,
    )
      .then((handled) => {
        if (handled) return;
        const length = req.headers['content-length'];
        if (length === undefined && req.headers['transfer-encoding'] !== undefined) {
          sendError(res, 411, 'LENGTH_REQUIRED', 'send the request body with a Content-Length');
          return;
        }
        if (Number(length ?? 0) > maxBody) {
          sendError(res, 413, 'BODY_TOO_LARGE', `request body is larger than the limit of ${maxBody} bytes`);
          req.resume();
          return;
        }
        return yoga(req, res);
      })
      .catch((error: unknown) => {
        options.onError?.(error);
        if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
        else res.destroy();
      });
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket));

  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: maxBody });
  const closeSockets = serveGraphqlWs(wsServer, yoga, options.onError);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    server,
    port: address.port,
    url: `http://${host}:${address.port}`,
    close() {
      closing ??= (async () => {
        yoga.pubsub.close();
        await closeSockets();
        await new Promise<void>((resolve) => wsServer.close(() => resolve()));
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
        await closed;
      })();
      return closing;
    },
  };
}

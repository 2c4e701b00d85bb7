/**
 * GraphQL over WebSocket (the graphql-ws protocol, `graphql-transport-ws`) on a `ws` server: the
 * protocol core is graphql-ws' `makeServer`, this is its socket shell, and every operation goes
 * through the yoga server's {@link OperationEntry} (the same plugins, limits, masking and codes as
 * HTTP; a refused operation is an `error` message for its id alone).
 *
 * Unlike graphql-ws' own `use/ws` shell, a message the protocol does not allow a client to send
 * (`next`, `error`, `connection_ack` from the client) closes the socket as the bad request it is
 * (4400), and a close never carries an internal error's message: 4500 says "Internal server
 * error" and the error goes to the log.
 */
import type { IncomingMessage } from 'node:http';
import type { ExecutionResult } from 'graphql/index.js';
import { GraphQLError } from 'graphql/index.js';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { SessionYoga } from '../graphql/yoga.ts';

/** Keep-alive: a ping this often, and the socket ends when its pong does not come within as long. */
const KEEP_ALIVE_MS = 12_000;

/** Where the sockets' unexpected errors go. */
export type SocketErrorLog = (error: unknown) => void;

/** Serves graphql-ws on `wsServer`; the returned function closes every socket (1001). */
export function serveGraphqlWs(
  wsServer: WebSocketServer,
  yoga: SessionYoga,
  onError: SocketErrorLog = () => undefined,
): () => Promise<void> {
  const operations = yoga.operations;
  const core = makeServer<Record<string, unknown>, { socket: WebSocket; request: IncomingMessage }>({
    execute: (args) => operations.run(args) as never,
    subscribe: (args) => operations.run(args) as never,
    onSubscribe: async (ctx, id, payload) => {
      const running = Object.keys(ctx.subscriptions).filter((key) => key !== id).length;
      if (running >= yoga.limits.maxOperationsPerSocket) {
        return [
          new GraphQLError(
            `at most ${yoga.limits.maxOperationsPerSocket} operations may run at once on one connection`,
            { extensions: { code: 'TOO_MANY_OPERATIONS' } },
          ),
        ];
      }
      const prepared = await operations.prepare(
        { ...ctx, req: ctx.extra.request, socket: ctx.extra.socket },
        payload,
      );
      return 'errors' in prepared ? [...prepared.errors] : prepared.args;
    },
    onNext: (_ctx, _id, _payload, _args, result) => operations.formatResult(result as ExecutionResult),
    onError: (_ctx, _id, _payload, errors) => operations.formatErrors(errors),
  });
  wsServer.options.handleProtocols = handleProtocols;

  wsServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const internal = (error: unknown) => {
      onError(error);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    };
    socket.once('error', internal);
    let pongWait: NodeJS.Timeout | null = null;
    const pinger = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = core.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              // The core throws for a message type a client may not send; everything else is ours.
              if (error instanceof Error && error.message.startsWith('Unexpected message of type')) {
                socket.close(CloseCode.BadRequest, 'Invalid message received');
              } else internal(error);
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pinger);
      void closed(code, String(reason));
    });
  });

  return async () => {
    for (const client of wsServer.clients) client.close(1001, 'Going away');
    wsServer.removeAllListeners('connection');
  };
}

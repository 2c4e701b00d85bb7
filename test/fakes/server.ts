/**
 * One HTTP server on a real port for a fake provider: REST requests go to `rest`, WebSocket
 * upgrades to `stream` (the `ws` package's server). Sockets are tracked so a test can kill them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** A running fake server. */
export interface FakeServer {
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  close(): Promise<void>;
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Starts a server on 127.0.0.1 and a free port. */
export async function startFakeServer(
  rest: (req: IncomingMessage, res: ServerResponse, url: URL) => void,
  stream: (socket: WebSocket, req: IncomingMessage, url: URL) => void,
): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    try {
      rest(req, res, url);
    } catch (error) {
      sendJson(res, 500, { message: String(error) });
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    wss.handleUpgrade(req, socket, head, (ws) => stream(ws, req, url));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { createRequire } from 'node:module';

interface WsSocket {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  send(data: string): void;
  close(): void;
}
type WsConstructor = new (url: string, protocols: string[]) => WsSocket;

// `ws` ships with mercurius; its types are not installed, so it is loaded untyped behind WsSocket.
const WebSocket = createRequire(__filename)('ws') as WsConstructor;

export interface WsMessage {
  id?: string;
  type: string;
  payload?: unknown;
}

/** A minimal `graphql-transport-ws` client for tests: connect, subscribe, await messages. */
export class GraphQLWsClient {
  private readonly received: WsMessage[] = [];
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(private readonly socket: WsSocket) {
    socket.on('message', (data) => {
      this.received.push(JSON.parse(data.toString()) as WsMessage);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Opens the socket and sends `connection_init` with `payload`; resolves once it is open. */
  static async connect(url: string, payload: Record<string, unknown>): Promise<GraphQLWsClient> {
    const socket = new WebSocket(url, ['graphql-transport-ws']);
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => resolve());
      socket.on('error', reject);
    });
    const client = new GraphQLWsClient(socket);
    socket.send(JSON.stringify({ type: 'connection_init', payload }));
    return client;
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  }

  /** The next message matching `predicate` (messages before it that do not match are kept). */
  async next(predicate: (m: WsMessage) => boolean, timeoutMs = 10_000): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex(predicate);
      if (index >= 0) return this.received.splice(index, 1)[0];
      if (this.closed) throw new Error(`socket closed; received: ${JSON.stringify(this.received)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Messages received and not yet taken by `next`. */
  pending(): WsMessage[] {
    return [...this.received];
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

import { createServer, connect, type Server, type Socket } from 'node:net';

/** When the proxy cuts a connection whose client sends a message containing `trigger`. */
export type CutMode =
  /** Drop the message and close both sides: the server never sees it. */
  | 'before-server'
  /** Forward the message, let the server answer, and close the client's side without passing the answer on. */
  | 'after-server';

/**
 * A TCP proxy in front of a real server that cuts a connection at a precise protocol moment: a real network failure,
 * at the moment a test needs it (a ROLLBACK or a COMMIT in flight), which timing alone cannot give.
 */
export class CutProxy {
  port = 0;
  cuts = 0;
  private armed: { trigger: Buffer; mode: CutMode } | undefined;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly upstreamPort: number) {
    this.server = createServer((client) => this.pipe(client));
  }

  static async start(upstreamPort: number): Promise<CutProxy> {
    const proxy = new CutProxy(upstreamPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as { port: number }).port;
    return proxy;
  }

  /** Cut the next connection that sends `trigger` (once). */
  arm(trigger: string, mode: CutMode): void {
    this.armed = { trigger: Buffer.from(trigger), mode };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    let cutting: CutMode | undefined;
    const destroy = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroy).on('close', () => upstream.end());
    upstream.on('error', destroy).on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      const armed = this.armed;
      if (armed && chunk.includes(armed.trigger)) {
        this.armed = undefined;
        this.cuts++;
        cutting = armed.mode;
        if (armed.mode === 'before-server') return destroy();
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutting === 'after-server') {
        // The server has answered (the COMMIT is done): the client never hears it.
        client.destroy();
        upstream.end();
        return;
      }
      client.write(chunk);
    });
  }
}

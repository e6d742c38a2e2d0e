// A loopback HTTP-aware TCP proxy that breaks things on purpose, for the sync fault tests. Each request
// is read whole (head + Content-Length body), judged against the queued faults, and forwarded on its own
// upstream connection with `Connection: close`, so a fault hits exactly one request.
import net from 'node:net';

export type Fault =
  | { kind: 'drop-before' } // the request never reaches the hub
  | { kind: 'drop-after' } // the hub does the work; the answer is lost
  | { kind: 'delay'; ms: number }
  | { kind: 'status'; status: number; retryAfter?: number; body?: string; contentType?: string; headers?: Record<string, string> }
  | { kind: 'duplicate' } // delivered to the hub twice; the client gets the second answer
  | { kind: 'raw'; bytes: Buffer | string } // any answer bytes at all (garbage, HTML, huge bodies)
  | { kind: 'hook'; fn: () => void | Promise<void> }; // run something (kill the hub) then forward

export interface Rule { match?: (method: string, path: string) => boolean; fault: Fault; times: number }

export interface Seen { method: string; path: string; fault: Fault['kind'] | 'pass'; idempotencyKey: string | null }

export class FaultProxy {
  private rules: Rule[] = [];
  readonly seen: Seen[] = [];
  private sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server, public upstreamPort: number, readonly port: number) {}

  static async start(upstreamPort: number): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = net.createServer((s) => proxy!.handle(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    proxy = new FaultProxy(server, upstreamPort, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queue a fault for the next `times` requests matching `match` (all requests when omitted). */
  add(fault: Fault, times = 1, match?: (method: string, path: string) => boolean): void {
    this.rules.push({ fault, times, ...(match ? { match } : {}) });
  }

  clear(): void {
    this.rules = [];
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(client: net.Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      client.off('data', onData);
      void this.serve(client, head, buf.subarray(end + 4, end + 4 + len));
    };
    client.on('data', onData);
  }

  private async serve(client: net.Socket, head: string, body: Buffer): Promise<void> {
    const [method = '', p = ''] = head.split('\r\n')[0]!.split(' ');
    const rule = this.rules.find((r) => r.times > 0 && (!r.match || r.match(method, p)));
    if (rule) rule.times--;
    const fault = rule?.fault;
    this.seen.push({ method, path: p, fault: fault?.kind ?? 'pass', idempotencyKey: /\r\nidempotency-key:\s*(\S+)/i.exec(head)?.[1] ?? null });
    // One request per connection: the client opens a new one for the next request.
    const lines = head.split('\r\n').filter((l) => !/^(connection|keep-alive):/i.test(l));
    const request = Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\nConnection: close\r\n\r\n', 'latin1'), body]);
    try {
      switch (fault?.kind) {
        case 'drop-before':
          client.destroy();
          return;
        case 'drop-after':
          await this.forward(request);
          client.destroy();
          return;
        case 'delay':
          await new Promise((r) => setTimeout(r, fault.ms));
          break;
        case 'status': {
          const text = fault.body ?? JSON.stringify({ detail: `injected ${fault.status}` });
          const extra = { ...(fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}), ...fault.headers };
          client.end(`HTTP/1.1 ${fault.status} Injected\r\nContent-Type: ${fault.contentType ?? 'application/json'}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n`
            + Object.entries(extra).map(([k, v]) => `${k}: ${v}\r\n`).join('') + `Connection: close\r\n\r\n${text}`);
          return;
        }
        case 'raw':
          client.end(fault.bytes);
          return;
        case 'duplicate':
          await this.forward(request);
          break;
        case 'hook':
          await fault.fn();
          break;
        default:
          break;
      }
      const answer = await this.forward(request);
      client.end(answer);
    } catch {
      client.destroy();
    }
  }

  /** Sends one request upstream and returns the whole answer (the hub closes after it). */
  private forward(request: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const up = net.connect(this.upstreamPort, '127.0.0.1');
      const chunks: Buffer[] = [];
      up.on('data', (d) => chunks.push(d));
      up.on('end', () => resolve(Buffer.concat(chunks)));
      up.on('error', reject);
      up.write(request);
    });
  }
}

// A load generator's HTTP/1.1 POST client: keep-alive TCP connections, one request in flight on
// each (no pipelining), the request written at once (its text, or bytes built beforehand) and the
// response read by a small parser (status line, Content-Length or chunked body). node:http's
// client costs this 2-core machine ~160 µs of CPU a request; at 5,000 requests/s that is 0.8 of a
// core taken from the server being measured, which is why load generators such as wrk are
// written in C.
import net from 'node:net';

export interface PostAnswer {
  status: number;
  text: string;
}

/** The rejection when a connection ends before its answer; `code` as node's socket errors have it. */
export class ConnectionLostError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ConnectionLostError';
    this.code = code;
  }
}

interface Pending {
  /** The whole request: its text ({@link requestText}), or those bytes built beforehand. */
  request: string | Uint8Array;
  resolve: (answer: PostAnswer) => void;
  reject: (error: Error) => void;
}

/** The first response in `buffer` and how many bytes it took, or undefined until more arrive. */
export function parseResponse(buffer: Buffer): { answer: PostAnswer; used: number; close: boolean } | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = buffer.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  let contentLength = 0;
  let chunked = false;
  let close = false;
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === 'content-length') contentLength = Number(value);
    else if (name === 'transfer-encoding') chunked = value.includes('chunked');
    else if (name === 'connection') close = value === 'close';
  }
  const bodyStart = headEnd + 4;
  if (!chunked) {
    if (buffer.length < bodyStart + contentLength) return undefined;
    const text = buffer.toString('utf8', bodyStart, bodyStart + contentLength);
    return { answer: { status, text }, used: bodyStart + contentLength, close };
  }
  const parts: Buffer[] = [];
  let at = bodyStart;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buffer.toString('latin1', at, lineEnd), 16);
    if (size === 0) {
      // The last chunk, then trailer lines (usually none) and an empty line.
      const end = buffer.indexOf('\r\n\r\n', lineEnd);
      if (end < 0) return undefined;
      return { answer: { status, text: Buffer.concat(parts).toString('utf8') }, used: end + 4, close };
    }
    const dataStart = lineEnd + 2;
    if (buffer.length < dataStart + size + 2) return undefined;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

class Connection {
  private readonly socket: net.Socket;
  private received: Buffer = Buffer.alloc(0);
  private current: Pending | undefined;
  private alive = true;

  constructor(
    host: string,
    port: number,
    private readonly idle: (connection: Connection) => void,
    private readonly gone: (connection: Connection) => void,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.fail(error.code ?? 'ECONNRESET', error.message));
    this.socket.on('close', () => this.fail('ECONNRESET', 'the server closed the connection'));
  }

  send(pending: Pending): void {
    this.current = pending;
    this.socket.write(pending.request);
  }

  destroy(): void {
    this.alive = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const parsed = parseResponse(this.received);
    if (parsed === undefined) return;
    this.received = this.received.subarray(parsed.used);
    const pending = this.current;
    this.current = undefined;
    if (parsed.close) this.destroy();
    pending?.resolve(parsed.answer);
    if (parsed.close) this.gone(this);
    else this.idle(this);
  }

  private fail(code: string, message: string): void {
    const pending = this.current;
    this.current = undefined;
    if (this.alive) {
      this.alive = false;
      this.socket.destroy();
      this.gone(this);
    }
    pending?.reject(new ConnectionLostError(code, message));
  }
}

/** A POST request's text: request line, host, content length, `headers`, then `body`. */
export function requestText(host: string, path: string, body: string, headers: Record<string, string>): string {
  let request = `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(headers)) request += `${name}: ${value}\r\n`;
  return `${request}\r\n${body}`;
}

/** POSTs to one origin over at most `connections` keep-alive connections; more requests queue. */
export class KeepAlivePoster {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  // A queue with a moving head: shift() on an array of thousands of waiting requests copies it each time.
  private queue: Pending[] = [];
  private queueHead = 0;
  private readonly host: string;
  private readonly port: number;

  constructor(
    origin: string,
    private readonly connections: number,
  ) {
    const url = new URL(origin);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
  }

  post(path: string, body: string, headers: Record<string, string>): Promise<PostAnswer> {
    return this.send(requestText(`${this.host}:${this.port}`, path, body, headers));
  }

  /** Sends a whole request as given (from {@link requestText} or built beforehand as bytes). */
  send(request: string | Uint8Array): Promise<PostAnswer> {
    return new Promise((resolve, reject) => {
      const pending = { request, resolve, reject };
      const connection = this.idle.pop() ?? this.connect();
      if (connection === undefined) this.queue.push(pending);
      else connection.send(pending);
    });
  }

  /** Ends every connection; requests still waiting for an answer are rejected. */
  close(): void {
    for (const connection of this.all) connection.destroy();
  }

  private nextQueued(): Pending | undefined {
    if (this.queueHead === this.queue.length) return undefined;
    const next = this.queue[this.queueHead++];
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return next;
  }

  private connect(): Connection | undefined {
    if (this.all.size >= this.connections) return undefined;
    const connection = new Connection(
      this.host,
      this.port,
      (idle) => {
        const next = this.nextQueued();
        if (next === undefined) this.idle.push(idle);
        else idle.send(next);
      },
      (gone) => {
        this.all.delete(gone);
        const at = this.idle.indexOf(gone);
        if (at >= 0) this.idle.splice(at, 1);
        const next = this.nextQueued();
        if (next !== undefined) (this.connect() as Connection).send(next);
      },
    );
    this.all.add(connection);
    return connection;
  }
}

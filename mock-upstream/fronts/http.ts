import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Clock, RealClock, type TimerHandle } from '../../src/sim/clock.ts';
import { type Reply, UPSTREAM_REQUEST_HEADERS } from '../types.ts';
import type { Upstream } from '../upstream.ts';
import { handleControl } from './control.ts';

export interface HttpFrontOptions {
  /** Default 127.0.0.1: nothing is exposed beyond loopback unless asked. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  clock?: Clock;
  controlToken?: string;
  /**
   * Slowloris and idle limits (see README "Security notes"). Every connection is bounded in time whatever
   * its client does: the request head must arrive within headersTimeoutMs, the whole request within
   * requestTimeoutMs, a kept-alive connection may idle keepAliveTimeoutMs between requests, and any
   * connection with no bytes either way for idleTimeoutMs is closed.
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** Default: the upstream's max hang + 60 s, so the upstream's own hangs always end first. */
  idleTimeoutMs?: number;
  /** Open connections at most; more are closed at once (and logged). */
  maxConnections?: number;
  /** Where the front's log lines go; default stderr. */
  log?: (line: string) => void;
}

/** Defaults of HttpFrontOptions' limits. */
export const HTTP_FRONT_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  /** Above the 10,000 concurrent connections the front is load-tested with, below common fd hard limits. */
  maxConnections: 16_384,
} as const;

export interface HttpFront {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:8787/v1: what an OpenAI client takes as baseURL. */
  readonly baseURL: string;
  /** Stops accepting, destroys every open connection (hung ones included) and resolves when closed. */
  close(): Promise<void>;
}

/**
 * The HTTP front: a node:http server on loopback over the upstream model. Network faults are real:
 * `reset` destroys the socket, `timeout` holds it open (bounded), and a schedule phase that refuses every
 * attempt closes the listening socket for its duration so clients get ECONNREFUSED.
 */
export async function startHttpFront(upstream: Upstream, options: HttpFrontOptions = {}): Promise<HttpFront> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? new RealClock();
  const sockets = new Set<Socket>();
  const refuseTimers: TimerHandle[] = [];
  let closing = false;
  const maxBody = upstream.config.maxBodyBytes;
  const limits = frontLimits(options, upstream.config.maxHangMs);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node enforces the two timeouts above only when it checks (every 30 s by default): check often
      // enough that a limit is a limit, within a quarter of the shorter one.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(30_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
      ),
    },
    (req, res) => {
      let first: Buffer | undefined;
      let rest: Buffer[] | undefined;
      let size = 0;
      let tooLarge = false;
      req.on('data', (c: Buffer) => {
        if (tooLarge) return;
        size += c.length;
        if (size > maxBody) {
          // Stop keeping the body (bounded memory) but read to the end so the 413 can be sent.
          tooLarge = true;
          first = undefined;
          rest = undefined;
          return;
        }
        if (!first) first = c;
        else {
          rest ??= [first];
          rest.push(c);
        }
      });
      req.on('end', () => {
        const path = req.url ?? '/';
        const nowMs = clock.now();
        const bodyText = rest ? Buffer.concat(rest).toString('utf8') : first ? first.toString('utf8') : '';
        const { pathname, query } = splitTarget(path);
        if (pathname.startsWith('/__squall/') || pathname === '/metrics') {
          const r = handleControl(upstream, {
            // HEAD answers as GET does; node sends no body for it.
            method: req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET'),
            path: pathname,
            query: new URLSearchParams(query),
            bodyText,
            authorization: req.headers.authorization,
            controlToken: options.controlToken,
            nowMs,
          });
          res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
          res.end(r.body);
          return;
        }
        const reply = tooLarge
          ? upstream.payloadTooLarge(nowMs)
          : upstream.respond(
              {
                method: req.method ?? 'GET',
                path,
                headers: upstreamHeaders(req.rawHeaders),
                bodyText,
              },
              nowMs,
            );
        // A Promise only when the rate-limit buckets are shared with other processes (see shared/).
        if (reply instanceof Promise) reply.then((r) => sendReply(r, req, res, clock));
        else sendReply(reply, req, res, clock);
      });
    },
  );
  server.timeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  let refusedSinceCap = 0;
  server.on('drop', () => {
    if (refusedSinceCap++ === 0) {
      log(
        `squall: connection cap reached (${limits.maxConnections} open): new connections are closed at once until some end`,
      );
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      if (refusedSinceCap > 0 && sockets.size < limits.maxConnections) {
        log(`squall: below the connection cap again; ${refusedSinceCap} connections were refused meanwhile`);
        refusedSinceCap = 0;
      }
    });
  });
  // A client error (malformed HTTP, a head or body too slow) gets a status line and a closed connection,
  // never an exception. The connection is destroyed, not half-closed: a slowloris client that never
  // closes its side must not keep it open.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    socket.end(
      `HTTP/1.1 ${clientErrorStatus(err.code)}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      () => socket.destroy(),
    );
  });

  await listen(server, options.port ?? 8787, host);
  const port = (server.address() as AddressInfo).port;

  upstream.startAt(clock.now());
  // Full outages with `refuse` really stop accepting: close the listener, reopen at the window's end.
  for (const w of upstream.refuseWindows()) {
    const startIn = w.startMs - clock.now();
    const endIn = w.endMs - clock.now();
    if (endIn <= 0) continue;
    refuseTimers.push(
      clock.setTimeout(
        () => {
          if (closing) return;
          server.close();
          for (const s of sockets) s.destroy();
        },
        Math.max(0, startIn),
      ),
      clock.setTimeout(() => {
        if (!closing) listen(server, port, host).catch(() => {});
      }, endIn),
    );
  }

  const displayHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    host,
    port,
    baseURL: `http://${displayHost}:${port}/v1`,
    close() {
      closing = true;
      for (const t of refuseTimers) clock.clearTimeout(t);
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function frontLimits(o: HttpFrontOptions, maxHangMs: number) {
  const d = HTTP_FRONT_LIMITS;
  const limits = {
    headersTimeoutMs: o.headersTimeoutMs ?? d.headersTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs ?? d.requestTimeoutMs,
    keepAliveTimeoutMs: o.keepAliveTimeoutMs ?? d.keepAliveTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs ?? maxHangMs + 60_000,
    maxConnections: o.maxConnections ?? d.maxConnections,
  };
  for (const [name, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v <= 0)
      throw new RangeError(`HTTP front: ${name} must be a positive integer, got ${v}`);
  }
  // Node refuses a head timeout longer than the whole request's: the head is part of the request.
  limits.headersTimeoutMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return limits;
}

function clientErrorStatus(code: string | undefined): string {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT')
    return '408 Request Timeout';
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  return '400 Bad Request';
}

/**
 * A request target as path and query. Plain string work: `new URL` would read `//host/x` as a host, and
 * nothing here decodes, so no target can throw.
 */
function splitTarget(target: string): { pathname: string; query: string } {
  const q = target.indexOf('?');
  const raw = q < 0 ? target : target.slice(0, q);
  const hash = raw.indexOf('#');
  const path = hash < 0 ? raw : raw.slice(0, hash);
  // '/metrics/' is '/metrics'; '/' stays '/'.
  const pathname = path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
  return { pathname, query: q < 0 ? '' : target.slice(q + 1) };
}

const READ_HEADERS: ReadonlySet<string> = new Set(UPSTREAM_REQUEST_HEADERS);
const READ_HEADER_LENGTHS: ReadonlySet<number> = new Set(UPSTREAM_REQUEST_HEADERS.map((h) => h.length));

/**
 * The headers the upstream reads, straight from the raw list (names lower-cased; the first of duplicates
 * wins, as node does for Authorization). Cheaper than node's `req.headers`, which parses every header.
 */
function upstreamHeaders(raw: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (!READ_HEADER_LENGTHS.has(name.length)) continue;
    const lower = name.toLowerCase();
    if (READ_HEADERS.has(lower) && out[lower] === undefined) out[lower] = raw[i + 1];
  }
  return out;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Immediate answers decided in one turn of the event loop are written together, right after it (a
 * setImmediate), rather than each as soon as it is decided. The client is on the same machine (loopback
 * is what the mock is for), and back-to-back writes find it awake instead of waking it once per answer:
 * under load that costs the server less CPU per request (bench/mock-throughput.ts: about 15% more
 * requests per second). An answer waits at most for the rest of its turn's requests to be decided.
 */
let pendingEnds: Array<{ res: ServerResponse; body: string }> = [];
function endSoon(res: ServerResponse, body: string): void {
  if (pendingEnds.length === 0) setImmediate(flushEnds);
  pendingEnds.push({ res, body });
}
function flushEnds(): void {
  const due = pendingEnds;
  pendingEnds = [];
  for (const { res, body } of due) {
    // A client that went away meanwhile has nothing to receive.
    if (res.destroyed) continue;
    try {
      res.end(body);
    } catch {
      // One failed write must not strand the rest of the batch; node has already closed that connection.
    }
  }
}

/** Plays a Reply onto a node response, on the clock; clears its timers if the client goes away. */
function sendReply(reply: Reply, req: IncomingMessage, res: ServerResponse, clock: Clock): void {
  const socket = req.socket;
  // Fast path: a whole body at once with no wait (what most non-streaming answers are).
  if (
    reply.kind === 'response' &&
    reply.headerDelayMs <= 0 &&
    reply.end.kind === 'end' &&
    reply.parts.length <= 1
  ) {
    const part = reply.parts[0];
    if ((part?.delayMs ?? 0) <= 0) {
      const body = part?.data ?? '';
      // A Reply's headers are made for this one answer: adding the length in place saves a copy per request.
      reply.headers['content-length'] = String(part?.bytes ?? Buffer.byteLength(body));
      res.writeHead(reply.status, reply.headers);
      endSoon(res, body);
      return;
    }
  }
  let timer: TimerHandle | undefined;
  res.on('close', () => clock.clearTimeout(timer));
  const later = (ms: number, fn: () => void) => {
    if (ms > 0) timer = clock.setTimeout(fn, ms);
    else fn();
  };
  switch (reply.kind) {
    case 'refuse':
      // After its round trip; a listener closed for a refuse window refuses at once (the kernel answers).
      later(reply.delayMs, () => socket.destroy());
      return;
    case 'reset':
      later(reply.delayMs, () => socket.destroy());
      return;
    case 'hang':
      later(reply.ms, () => socket.destroy());
      return;
    case 'response': {
      const { parts, end } = reply;
      later(reply.headerDelayMs, () => {
        // Fast path: a whole body at once (what most non-streaming answers are).
        if (end.kind === 'end' && parts.length <= 1 && (parts[0]?.delayMs ?? 0) <= 0) {
          const body = parts[0]?.data ?? '';
          res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        res.writeHead(reply.status, reply.headers);
        res.flushHeaders();
        let i = 0;
        const step = () => {
          const part = parts[i];
          if (part) {
            later(part.delayMs, () => {
              i++;
              // Before a deliberate reset, let the bytes already sent reach the client first.
              if (i === parts.length && end.kind === 'destroy') res.write(part.data, () => socket.destroy());
              else {
                res.write(part.data);
                step();
              }
            });
            return;
          }
          if (end.kind === 'end') res.end();
          else if (end.kind === 'destroy') socket.destroy();
          else later(end.ms, () => socket.destroy());
        };
        step();
      });
      return;
    }
  }
}

/**
 * One HTTPS exchange with EM through got: no redirects followed, no got retries, no thrown HTTP
 * errors, and bodies over the size limit refused while downloading. Failures come back as
 * `TransportError` holding only a code and a message: got's own errors carry the request options,
 * headers included, and must never travel further.
 */
import plainHttp from 'node:http';
import https from 'node:https';
import got, { type Got, type RequestFunction } from 'got';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { EmClientOptions } from './types.js';
import { transportKind, type TransportKind } from './errors.js';

export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received (decompressed). Large bodies are handed to a parser thread as these bytes. */
  bytes: Buffer;
  /** The body as UTF-8 text, decoded on first use. */
  readonly body: string;
  /**
   * Set when EM answered but its body could not be decoded (a Content-Encoding the bytes do not
   * match): the code and message of the decoder, and `body` is ''. EM was reached; the answer is
   * unreadable, which is a parse failure, not a network one.
   */
  undecodable?: { code: string; message: string; contentEncoding: string };
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** Overrides the per-request timeout (logout at shutdown must not hang for long). */
  timeoutMs?: number;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly kind: TransportKind | 'oversize',
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Transport {
  send(request: HttpRequest): Promise<HttpReply>;
  /**
   * Cancels every GET in flight; each fails with code ECLOSED. A logon in flight is left to finish,
   * so the session it opens can still be logged out. Later requests are sent as usual.
   */
  cancelAll(): void;
  destroy(): void;
}

/** The error of a request cancelled by cancelAll(), or not sent because the client is closing. */
export function closedError(what: 'cancelled' | 'not sent'): TransportError {
  return new TransportError('network', 'ECLOSED', `${what}: the client is closing (the exporter is stopping)`);
}

export function createTransport(options: EmClientOptions): Transport {
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const tls = {
    ca: options.tls.caPem,
    rejectUnauthorized: !options.tls.insecureSkipVerify,
    servername: options.tls.serverName,
  };
  const agent = new https.Agent({ keepAlive: true, maxSockets: Math.max(1, options.concurrency), ...tls });
  const http: Got = got.extend({
    agent: { https: agent },
    // Also per request: a request's TLS options must never fall back to Node's defaults.
    https: { certificateAuthority: tls.ca, rejectUnauthorized: tls.rejectUnauthorized, serverName: tls.servername },
    followRedirect: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: { request: options.timeoutMs },
    // Bytes: a large body goes to a parser thread as they are; text is decoded only when needed.
    responseType: 'buffer',
    // No cookie jar: EM's session cookie would override the header, and must not outlive logout.
    headers: { 'user-agent': 'veeam-em-exporter' },
    request: definedOptionsOnly,
    // Set once below, then frozen again.
    mutableDefaults: true,
  });
  // got spreads `cacheOptions` into the options of every request it sends. Left at got's defaults
  // (four keys), V8 in Node 20 builds that object in dictionary mode, slowly, at every request.
  // No HTTP cache is used, so they are empty.
  http.defaults.options.cacheOptions = {};
  http.defaults.options.freeze();

  const inFlight = new Set<() => void>();

  async function send(request: HttpRequest): Promise<HttpReply> {
    let oversize = false;
    let cancelled = false;
    const pending = http(request.url, {
      method: request.method,
      headers: request.headers,
      responseType: 'buffer',
      ...(request.timeoutMs !== undefined ? { timeout: { request: request.timeoutMs } } : {}),
    });
    const refuse = (): void => {
      oversize = true;
      pending.cancel();
    };
    // on() returns the request itself, which is awaited below.
    void pending.on('response', (response: { headers: IncomingHttpHeaders }) => {
      const declared = Number(response.headers['content-length']);
      if (declared > maxBytes) refuse();
    });
    void pending.on('downloadProgress', (progress: { transferred: number }) => {
      if (progress.transferred > maxBytes && !oversize) refuse();
    });
    const cancel = (): void => {
      cancelled = true;
      pending.cancel();
    };
    if (request.method === 'GET') inFlight.add(cancel);
    try {
      const response = await pending;
      return reply(response.statusCode, response.headers, response.body);
    } catch (err) {
      // Both are set by the callbacks above, which TypeScript does not follow.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (oversize) throw new TransportError('oversize', 'EOVERSIZE', `answer larger than ${maxBytes} bytes refused`);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (cancelled) throw closedError('cancelled');
      const undecodable = undecodableReply(err);
      if (undecodable) return undecodable;
      throw toTransportError(err);
    } finally {
      inFlight.delete(cancel);
    }
  }

  const cancelAll = (): void => {
    for (const cancel of [...inFlight]) cancel();
  };
  const destroy = (): void => {
    cancelAll();
    agent.destroy();
  };
  return { send, cancelAll, destroy };
}

/**
 * got hands Node about forty request options, most of them undefined, and Node copies that object
 * three times per request. Node treats an undefined option as an absent one, so only the defined
 * ones are passed on.
 */
const definedOptionsOnly: RequestFunction = (url, options, callback) => {
  const defined: Record<string, unknown> = {};
  for (const key in options) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) defined[key] = value;
  }
  // An EM URL may be plain http (the config warns unless it is on loopback).
  const node = url.protocol === 'http:' ? plainHttp : https;
  return node.request(url, defined, callback as ((response: IncomingMessage) => void) | undefined);
};

/** An HttpReply whose text is decoded from `bytes` once, when first read. */
export function reply(status: number, headers: IncomingHttpHeaders, bytes: Buffer): HttpReply {
  let text: string | undefined;
  return {
    status,
    headers,
    bytes,
    get body(): string {
      return (text ??= bytes.toString('utf8'));
    },
  };
}

/** zlib and brotli codes: the body arrived but does not decode as its Content-Encoding says. */
const DECODER_CODE = /^(?:Z_[A-Z_]+|ERR__ERROR_[A-Z0-9_]+|ERR_BROTLI_[A-Z0-9_]+|ERR_ZLIB_[A-Z0-9_]+)$/;

/** The reply of a request whose answer came but whose body failed to decode; undefined for any other error. */
function undecodableReply(err: unknown): HttpReply | undefined {
  const code = errorCode(err);
  if (!DECODER_CODE.test(code)) return undefined;
  const response = (err as { response?: { statusCode?: unknown; headers?: unknown; rawHeaders?: unknown } }).response;
  if (typeof response?.statusCode !== 'number' || typeof response.headers !== 'object' || response.headers === null)
    return undefined;
  const message = err instanceof Error ? err.message : String(err);
  // got drops Content-Encoding from `headers` once it starts decoding; the raw list still has it.
  const raw = Array.isArray(response.rawHeaders) ? (response.rawHeaders as unknown[]) : [];
  const at = raw.findIndex(
    (item, i) => i % 2 === 0 && typeof item === 'string' && item.toLowerCase() === 'content-encoding',
  );
  const contentEncoding = at >= 0 ? String(raw[at + 1]) : '';
  return {
    ...reply(response.statusCode, response.headers as IncomingHttpHeaders, Buffer.alloc(0)),
    undecodable: { code, message, contentEncoding },
  };
}

/** Keep the code and message of a got/Node error, nothing else. */
export function toTransportError(err: unknown): TransportError {
  const code = errorCode(err);
  // Kept whole: callers redact before they shorten, so no secret survives half-cut.
  return new TransportError(transportKind(code), code, err instanceof Error ? err.message : String(err));
}

function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'UNKNOWN';
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  // got wraps the socket's error; the inner code is the precise one (e.g. a certificate code).
  if (typeof cause === 'object' && cause !== null && typeof (cause as { code?: unknown }).code === 'string') {
    const inner = (cause as { code: string }).code;
    if (inner !== '' && (typeof code !== 'string' || code.startsWith('ERR_GOT') || code === 'ERR_CANCELED'))
      return inner;
  }
  return typeof code === 'string' && code !== '' ? code : 'UNKNOWN';
}

/**
 * The exporter's own HTTP server against hostile clients: methods, oversized requests, slow clients
 * (plain HTTP and TLS), and EM-supplied text on the status page.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createSecuredServer, createWebGuard, type WebGuard } from '../../src/web-config/index.js';
import {
  BACKUPS,
  NOW,
  createExporter,
  emConfig,
  exporterConfig,
  serveExporter,
  startSite,
  type Site,
} from '../integration/harness.js';
import { request, serversClosedAfterEach } from '../server/harness.js';
import { makeCa, makeLeaf, type Pem } from '../web-config/support/certs.js';

const { start, track } = serversClosedAfterEach();

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` as written (any method, any target) on a fresh connection and reads the answer until the server closes. */
function raw(port: number, head: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, end < 0 ? text.length : end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: end < 0 ? '' : text.slice(end + 4) });
    });
    socket.write(head);
  });
}

const requestHead = (method: string, target: string, extra = ''): string =>
  `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;

const READ_PATHS = ['/', '/metrics', '/-/healthy', '/-/ready'];
const WRONG_METHODS = [
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'MKCOL',
  'LOCK',
  'PURGE',
  'CONNECT',
];

describe('methods', () => {
  it('serves GET and HEAD on the read endpoints and answers every other method 405 with Allow, rendering nothing', async () => {
    let reloads = 0;
    const { port, renders } = await start({ reload: async () => ((reloads += 1), { ok: true }) });
    for (const path of READ_PATHS) {
      const get = await raw(port, requestHead('GET', path));
      expect(get.status, `GET ${path}`).toBe(200);
      expect(get.body.length, `GET ${path}`).toBeGreaterThan(0);
      const head = await raw(port, requestHead('HEAD', path));
      expect(head.status, `HEAD ${path}`).toBe(200);
      expect(head.body, `HEAD ${path}`).toBe('');
      expect(head.headers['content-length'], `HEAD ${path}`).toBe(get.headers['content-length']);
    }
    const rendersBefore = renders();
    for (const path of READ_PATHS) {
      for (const method of WRONG_METHODS) {
        const reply = await raw(port, requestHead(method, path));
        expect(reply.status, `${method} ${path}`).toBe(405);
        expect(reply.headers.allow, `${method} ${path}`).toBe('GET, HEAD');
        expect(reply.body, `${method} ${path}`).toBe('Method Not Allowed');
      }
    }
    expect(renders()).toBe(rendersBefore);
    expect(reloads).toBe(0);
  });

  it('takes only POST on /-/reload, which reloads once per request with the lifecycle API on', async () => {
    let reloads = 0;
    const { port } = await start({ reload: async () => ((reloads += 1), { ok: true }) });
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']) {
      const reply = await raw(port, requestHead(method, '/-/reload'));
      expect(reply.status, method).toBe(405);
      expect(reply.headers.allow, method).toBe('POST');
    }
    expect(reloads).toBe(0);
    expect((await raw(port, requestHead('POST', '/-/reload', 'Content-Length: 0\r\n'))).status).toBe(200);
    expect(reloads).toBe(1);
  });

  it('refuses POST /-/reload with 403 without the lifecycle API, and still 405 for other methods', async () => {
    const { port } = await start();
    expect((await raw(port, requestHead('POST', '/-/reload', 'Content-Length: 0\r\n'))).status).toBe(403);
    const get = await raw(port, requestHead('GET', '/-/reload'));
    expect([get.status, get.headers.allow]).toEqual([405, 'POST']);
  });

  it('answers CONNECT in authority form with 405 instead of dropping the connection', async () => {
    const { port } = await start();
    const reply = await raw(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect([reply.status, reply.headers.allow]).toEqual([405, 'GET, HEAD']);
  });
});

describe('request size', () => {
  it('refuses a 64 KiB header with 431 but serves one of 4 KiB', async () => {
    const { port, renders } = await start();
    expect((await raw(port, requestHead('GET', '/metrics', `X-Big: ${'a'.repeat(64 * 1024)}\r\n`))).status).toBe(431);
    expect((await raw(port, requestHead('GET', '/metrics', 'X-Many: b\r\n'.repeat(2_000)))).status).toBe(431);
    expect(renders()).toBe(0);
    expect((await raw(port, requestHead('GET', '/metrics', `X-Big: ${'a'.repeat(4 * 1024)}\r\n`))).status).toBe(200);
  });

  it('refuses a URL over 4 KiB with 414 (over the header limit, 431) but serves Prometheus-sized query strings', async () => {
    const { port, renders } = await start();
    expect((await raw(port, requestHead('GET', `/metrics?x=${'a'.repeat(6 * 1024)}`))).status).toBe(414);
    expect((await raw(port, requestHead('GET', `/${'a'.repeat(5 * 1024)}`))).status).toBe(414);
    expect((await raw(port, requestHead('GET', `/metrics?x=${'a'.repeat(64 * 1024)}`))).status).toBe(431);
    expect(renders()).toBe(0);
    const ok = await raw(
      port,
      requestHead('GET', `/metrics?${Array.from({ length: 60 }, (_, i) => `collect[]=collector${i}`).join('&')}`),
    );
    expect(ok.status).toBe(200);
    expect(renders()).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Slow clients

interface Crowd {
  sockets: Socket[];
  received: string[];
  closed: number;
  /** Resolves when every socket of the crowd has closed. */
  allClosed: Promise<void>;
}

/** Opens `count` connections that each send `bytes` one byte every `everyMs` (none: stay silent). */
function crowd(
  port: number,
  count: number,
  bytes: Buffer | undefined,
  everyMs: number,
  events: string[],
  label: string,
): Crowd {
  const c: Crowd = { sockets: [], received: [], closed: 0, allClosed: Promise.resolve() };
  const closings: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1');
    c.sockets.push(socket);
    c.received.push('');
    socket.on('data', (chunk: Buffer) => (c.received[i] = (c.received[i] ?? '') + chunk.toString('latin1')));
    socket.on('error', () => undefined);
    let sent = 0;
    const timer =
      bytes === undefined
        ? undefined
        : setInterval(() => {
            if (sent < bytes.length && !socket.destroyed) socket.write(bytes.subarray(sent, ++sent));
          }, everyMs);
    closings.push(
      new Promise((resolve) =>
        socket.once('close', () => {
          clearInterval(timer);
          c.closed += 1;
          events.push(label);
          resolve();
        }),
      ),
    );
  }
  c.allClosed = Promise.all(closings).then(() => undefined);
  return c;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen`)), ms)),
  );
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

const SLOW_LIMITS = { headersTimeout: 2_500, requestTimeout: 3_000, connectionsCheckingInterval: 100 };

describe('slow clients (slowloris)', () => {
  it('keeps answering scrapes while 50 clients trickle headers a byte at a time, then closes every one of them', async () => {
    const { port, base } = await start({ limits: SLOW_LIMITS });
    const events: string[] = [];
    const head = Buffer.from(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-Slow: a\r\n'.repeat(200)}\r\n`);
    const trickling = crowd(port, 50, head, 25, events, 'trickler closed');
    const silent = crowd(port, 10, undefined, 0, events, 'silent closed');
    // Every trickler is inside its request line or headers before the scrape starts.
    await waitFor(() => trickling.sockets.every((s) => s.bytesWritten >= 3), 'the tricklers to start');

    const scrape = await request(`${base}/metrics`);
    events.push('scrape answered');
    expect(scrape.status).toBe(200);
    expect(scrape.text).toContain('veeam_em_up');
    // The scrape was served while every slow client still held its connection.
    expect(events).toEqual(['scrape answered']);

    await within(Promise.all([trickling.allClosed, silent.allClosed]), 15_000, 'closing all 60 slow connections');
    expect(trickling.closed + silent.closed).toBe(60);
    // The headers timeout ended the tricklers (408), long before they could finish their headers.
    for (const [i, text] of trickling.received.entries()) expect(text, `trickler ${i}`).toMatch(/^HTTP\/1\.1 408 /);
    expect(trickling.sockets.every((s) => s.bytesWritten < head.length)).toBe(true);
    for (const [i, text] of silent.received.entries()) expect(text, `silent ${i}`).toMatch(/^HTTP\/1\.1 408 /);
    expect((await request(`${base}/metrics`)).status).toBe(200);
  });

  describe('over TLS (--web.config.file)', () => {
    let dir: string;
    let ca: Pem;
    let guard: WebGuard;
    let clientHello: Buffer;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'slow-tls-'));
      ca = await makeCa('slowloris test CA');
      const leaf = await makeLeaf(ca, 'localhost', 'server');
      await writeFile(join(dir, 'server.crt'), leaf.cert);
      await writeFile(join(dir, 'server.key'), leaf.key);
      await writeFile(join(dir, 'web.yml'), 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
      const quiet = createLogger({ level: 'error', format: 'json', destination: { write: () => undefined } });
      const created = await createWebGuard(join(dir, 'web.yml'), quiet, { pollIntervalMs: 60_000 });
      if (!created.ok) throw new Error(JSON.stringify(created.issues));
      guard = created.guard;
      clientHello = await captureClientHello();
    });
    afterAll(async () => {
      guard.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('keeps answering scrapes while clients trickle a TLS ClientHello or stay silent, then closes them at the headers timeout', async () => {
      const { port, base } = await start(
        {
          limits: SLOW_LIMITS,
          createServer: (options, listener) => createSecuredServer(guard, listener, { serverOptions: options }),
        },
        'https',
      );
      const events: string[] = [];
      const trickling = crowd(port, 20, clientHello, 25, events, 'trickler closed');
      const silent = crowd(port, 10, undefined, 0, events, 'silent closed');
      await waitFor(() => trickling.sockets.every((s) => s.bytesWritten >= 3), 'the tricklers to start');

      const scrape = await request(`${base}/metrics`, { ca: ca.cert, headers: { host: 'localhost' } });
      events.push('scrape answered');
      expect(scrape.status).toBe(200);
      expect(events).toEqual(['scrape answered']);

      // Node's own handshake timeout is 120 s; the exporter's headers timeout applies instead.
      await within(Promise.all([trickling.allClosed, silent.allClosed]), 15_000, 'closing all 30 slow TLS connections');
      expect(trickling.closed + silent.closed).toBe(30);
      expect(trickling.sockets.every((s) => s.bytesWritten < clientHello.length)).toBe(true);
    });

    it('closes connections beyond --web.max-connections before any handshake work, and serves again when one goes', async () => {
      const { port, base } = await start(
        {
          limits: { ...SLOW_LIMITS, maxConnections: 5 },
          createServer: (options, listener) => createSecuredServer(guard, listener, { serverOptions: options }),
        },
        'https',
      );
      const events: string[] = [];
      // Five clients that open a TCP connection and never send a ClientHello hold every slot.
      const silent = crowd(port, 5, undefined, 0, events, 'silent closed');
      await waitFor(() => silent.sockets.every((s) => !s.connecting), 'the silent clients to connect');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const refused = crowd(port, 3, clientHello, 0, events, 'refused closed');
      await within(refused.allClosed, 2_000, 'closing the connections over the cap');
      expect(refused.received).toEqual(['', '', '']);
      // The silent ones go at the headers timeout (2.5 s here); then scrapes get through again.
      await within(silent.allClosed, 15_000, 'closing the silent connections');
      const scrape = await request(`${base}/metrics`, { ca: ca.cert, headers: { host: 'localhost' } });
      expect(scrape.status).toBe(200);
    });
  });
});

/** The first flight a real TLS client sends, recorded from a socket that never answers. */
async function captureClientHello(): Promise<Buffer> {
  const server = createNetServer();
  const hello = new Promise<Buffer>((resolve) =>
    server.once('connection', (socket) => socket.once('data', (chunk: Buffer) => (resolve(chunk), socket.destroy()))),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
  client.on('error', () => undefined);
  const bytes = await hello;
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  expect(bytes[0]).toBe(0x16); // a TLS handshake record
  expect(bytes.length).toBeGreaterThan(100);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// EM-supplied text on the status page and in the exposition

const ALLOWED_TAGS = new Set([
  ...[
    '!DOCTYPE',
    'html',
    'head',
    'meta',
    'title',
    'style',
    'body',
    'h1',
    'h2',
    'p',
    'ul',
    'li',
    'a',
    'code',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'span',
  ],
  ...['nav', 'time', 'b', 'div', 'button', 'input', 'label', 'details', 'summary', 'script'],
]);
const ALLOWED_ATTRIBUTES = new Set([
  ...[
    'lang',
    'charset',
    'href',
    'class',
    'name',
    'content',
    'datetime',
    'id',
    'type',
    'placeholder',
    'checked',
    'hidden',
    'role',
  ],
  ...['aria-label', 'aria-pressed', 'data-refresh-seconds', 'data-show', 'data-conditions'],
]);

/** Every tag and attribute of the page, outside the style sheet and the page's own script. */
function markupOf(html: string): { tags: string[]; attributes: string[] } {
  const withoutStyle = html
    .replace(/<style>[^<]*<\/style>/, '<style></style>')
    .replace(/<script>[^<]*<\/script>/, '<script></script>');
  const tags: string[] = [];
  const attributes: string[] = [];
  for (const m of withoutStyle.matchAll(/<\/?([!A-Za-z][\w-]*)([^>]*)>/g)) {
    tags.push(m[1]!);
    if (m[1] === '!DOCTYPE') continue;
    for (const a of m[2]!.matchAll(/\s([^\s=]+)(?:="[^"]*")?/g)) attributes.push(a[1]!);
  }
  return { tags, attributes };
}

describe('EM-supplied text is inert on the status page', () => {
  const SCRIPT = '<script>alert(1)</script>';
  const REPOSITORY = `Tenant "A" & 'B' <repo>`;
  const HTML_ERROR = `</td></tr></table><img src=x onerror=alert(2)><script>alert(3)</script><a href="javascript:alert(4)">`;
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
    site.sim.setBackups([
      {
        id: BACKUPS.daily,
        name: SCRIPT,
        repository: REPOSITORY,
        backupServer: `vbr"01'<b>bold</b>`,
        platform: '<i>VMware</i>',
        restorePoints: [NOW - 3_600_000],
      },
      { id: BACKUPS.hourly, name: 'Tom &amp; Jerry " onmouseover="alert(5)', restorePoints: [NOW - 60_000] },
      { id: BACKUPS.weekly, name: 'Weekly', restorePoints: [NOW - 60_000] },
    ]);
    const escaped = HTML_ERROR.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
    site.sim.addFault({
      match: { path: `/api/backups/${BACKUPS.weekly}/restorePoints` },
      status: 500,
      body: { raw: `<Error Message="${escaped}" StatusCode="500"/>`, contentType: 'application/xml; charset=utf-8' },
    });
  });
  afterAll(() => site.close());

  it('escapes backup names, repositories, servers and EM error messages, leaving only the page own markup', async () => {
    const config = exporterConfig(
      [
        emConfig(site, {
          name: 'em<01>',
          backups: [BACKUPS.daily, BACKUPS.hourly, BACKUPS.weekly].map((id) => ({ id, rpoSeconds: 86_400 })),
        }),
      ],
      { retries: 0 },
    );
    const exporter = createExporter(
      config,
      createLogger({ level: 'error', format: 'json', destination: { write: () => undefined } }),
    );
    await exporter.runOnce();
    const server = await serveExporter(exporter, { version: '1.0.0', now: () => NOW });
    track(server);
    try {
      const page = await request(`${server.base}/`);
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      const html = page.text;

      // The hostile values arrived, as text.
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).toContain('Tom &amp;amp; Jerry &quot; onmouseover=&quot;alert(5)');
      expect(html).toContain('em&lt;01&gt;');
      expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
      expect(html).toContain('&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;');

      // And nothing of them became markup: only the page's own tags and attributes exist.
      const { tags, attributes } = markupOf(html);
      expect(tags.filter((t) => !ALLOWED_TAGS.has(t))).toEqual([]);
      expect(attributes.filter((a) => !ALLOWED_ATTRIBUTES.has(a))).toEqual([]);
      expect(html.match(/<tr[ >]/g)).toHaveLength(4); // the header row and three backups
      expect(html.match(/<td[ >]/g)).toHaveLength(21);
      expect(html.match(/<script/g)).toHaveLength(1); // the page's own
      expect(html).not.toMatch(/href="javascript:/i);

      // The exposition is plain text a browser must not sniff as HTML, with label values escaped.
      const metrics = await request(`${server.base}/metrics`);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.headers['x-content-type-options']).toBe('nosniff');
      expect(metrics.text).toContain(`repository="Tenant \\"A\\" & 'B' <repo>"`);
      expect(metrics.text).toContain(`backup_server="vbr\\"01'<b>bold</b>"`);
      for (const line of metrics.text.split('\n').filter((l) => l.startsWith('veeam_em_backup_info{'))) {
        // One sample per line: every quote inside a value is escaped, so labels cannot be forged.
        expect(line).toMatch(/^veeam_em_backup_info\{(?:\w+="(?:[^"\\]|\\.)*",?)+\} 1$/);
      }
    } finally {
      await exporter.stop();
    }
  });
});

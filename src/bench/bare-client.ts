/**
 * The floor of the exporter's CPU per EM request: a bare node:https client in a process of its own
 * that logs on to the simulated EM and reads the same restore-point lists the exporter reads, with
 * the least handling that still looks at every point (JSON.parse, or a scan for `BackupDateUTC` in
 * XML). No retries, no schema checks, no summary: what is left is TLS, HTTP and reading the bytes.
 */
import { Agent, request } from 'node:https';
import { SESSION_HEADER, SESSION_HEADER_KEY } from '../em/logon.js';
import { serveIpc } from './children.js';

export interface BareClientRun {
  url: string;
  caPem: string;
  username: string;
  password: string;
  ids: string[];
  format: 'xml' | 'json';
  concurrency: number;
}

export interface BareClientFigures {
  requests: number;
  points: number;
  wallMs: number;
  cpuMs: number;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(agent: Agent, url: string, method: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const BACKUP_DATE = /<BackupDateUTC>([^<]+)<\/BackupDateUTC>/g;

/** Reads a time as the parsers must; its value does not matter here. */
let sink = 0;

/** Points in one answer, each creation time parsed: the least any client must do with it. */
function points(body: string, format: 'xml' | 'json'): number {
  let n = 0;
  if (format === 'json') {
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) for (const x of v) walk(x);
      else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (typeof x === 'string' && /^backupdateutc$/i.test(k)) {
            sink ^= Date.parse(x) | 0;
            n++;
          } else if (typeof x === 'object') walk(x);
        }
      }
    };
    walk(JSON.parse(body));
    return n;
  }
  for (const m of body.matchAll(BACKUP_DATE)) {
    sink ^= Date.parse(m[1]!) | 0;
    n++;
  }
  return n;
}

async function run(r: BareClientRun): Promise<BareClientFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: r.concurrency, ca: r.caPem });
  const base = `${r.url.replace(/\/+$/, '')}/api`;
  const accept = r.format === 'json' ? 'application/json' : 'application/xml';
  try {
    const logon = await call(agent, `${base}/sessionMngr/?v=latest`, 'POST', {
      accept,
      authorization: `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}`,
    });
    const token = logon.headers[SESSION_HEADER_KEY];
    if (logon.status !== 201 && logon.status !== 200) throw new Error(`logon answered ${logon.status}`);
    if (typeof token !== 'string') throw new Error(`logon answered without ${SESSION_HEADER}`);
    const started = performance.now();
    const cpu = process.cpuUsage();
    let next = 0;
    let total = 0;
    const worker = async () => {
      while (next < r.ids.length) {
        const id = r.ids[next++]!;
        const answer = await call(
          agent,
          `${base}/backups/${encodeURIComponent(id)}/restorePoints?format=Entity`,
          'GET',
          { accept, [SESSION_HEADER_KEY]: token },
        );
        if (answer.status !== 200) throw new Error(`restore points of ${id} answered ${answer.status}`);
        total += points(answer.body, r.format);
      }
    };
    await Promise.all(Array.from({ length: r.concurrency }, worker));
    const used = process.cpuUsage(cpu);
    return {
      requests: r.ids.length,
      points: total + (sink & 0),
      wallMs: performance.now() - started,
      cpuMs: (used.user + used.system) / 1000,
    };
  } finally {
    agent.destroy();
  }
}

serveIpc(async (command) => {
  switch (command.cmd) {
    case 'run':
      return run(command as unknown as BareClientRun);
    case 'stop':
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown command ${String(command.cmd)}`);
  }
});

import https from 'node:https';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { EmSimulator, type SimulatorOptions, type StartedSimulator } from '../../src/simulator/index.js';

export const USER = 'EM01\\svc_monitor';
export const PASSWORD = 'secret';
export const BASIC = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Req {
  method?: string;
  headers?: Record<string, string>;
  agent?: https.Agent | false;
  servername?: string;
  host?: string;
}

/** One request over real HTTPS, trusting only the simulator's own certificate. */
export function request(started: StartedSimulator, path: string, opts: Req = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: opts.host ?? '127.0.0.1',
        port: started.port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ca: started.caPem,
        agent: opts.agent ?? false,
        servername: opts.servername,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('aborted')));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function startSim(
  options: SimulatorOptions = {},
): Promise<{ sim: EmSimulator; started: StartedSimulator }> {
  const sim = new EmSimulator(options);
  const started = await sim.start();
  return { sim, started };
}

/** Logs on and returns the token. */
export async function logon(started: StartedSimulator, headers: Record<string, string> = {}): Promise<string> {
  const res = await request(started, '/api/sessionMngr/?v=latest', {
    method: 'POST',
    headers: { authorization: BASIC, ...headers },
  });
  if (res.status !== 201) throw new Error(`logon failed: ${res.status} ${res.body}`);
  const token = res.headers['x-restsvcsessionid'];
  if (typeof token !== 'string') throw new Error('no session header');
  return token;
}

const LIST_ITEMS = new Set(['Ref', 'Link', 'RestorePoint', 'Backup', 'SupportedVersion', 'LogonSession']);

/** Parses an EM XML document; repeated elements always come back as arrays (except at the root). */
export function parseXml(body: string): Record<string, any> {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    isArray: (name, jpath) => LIST_ITEMS.has(name) && String(jpath).includes('.'),
  });
  return parser.parse(body) as Record<string, any>;
}

export function isWellFormedXml(body: string): boolean {
  // Deprecated in favour of a separate package; the parser still ships it, which spares a dependency.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return XMLValidator.validate(body) === true;
}

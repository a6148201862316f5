import { generate } from 'selfsigned';

export interface Pem {
  cert: string;
  key: string;
}

const DAY_MS = 24 * 3600_000;

function validity(): { notBeforeDate: Date; notAfterDate: Date } {
  const now = Date.now();
  // Back-dated so a second of clock skew between generation and handshake cannot matter.
  return { notBeforeDate: new Date(now - DAY_MS), notAfterDate: new Date(now + 30 * DAY_MS) };
}

/** A CA that can sign server and client certificates. EC keys keep generation fast on small CI machines. */
export async function makeCa(commonName: string): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A certificate for 127.0.0.1/localhost (server) or a named client, signed by `ca`. */
export async function makeLeaf(ca: Pem, commonName: string, usage: 'server' | 'client'): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...(usage === 'server'
        ? [
            {
              name: 'subjectAltName' as const,
              altNames: [
                { type: 2 as const, value: 'localhost' },
                { type: 7 as const, ip: '127.0.0.1' },
              ],
            },
          ]
        : []),
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface Pki {
  serverCa: Pem;
  server: Pem;
  /** A second server certificate from the same CA, to rotate to. */
  rotatedServer: Pem;
  clientCa: Pem;
  client: Pem;
  /** A client certificate from a CA the server does not trust. */
  strangerClient: Pem;
}

let shared: Promise<Pki> | undefined;

/** One PKI per test file: generation is the slow part and nothing mutates it. */
export function testPki(): Promise<Pki> {
  shared ??= (async () => {
    const [serverCa, clientCa, strangerCa] = await Promise.all([
      makeCa('test server CA'),
      makeCa('test client CA'),
      makeCa('stranger CA'),
    ]);
    const [server, rotatedServer, client, strangerClient] = await Promise.all([
      makeLeaf(serverCa, 'localhost', 'server'),
      makeLeaf(serverCa, 'localhost', 'server'),
      makeLeaf(clientCa, 'prometheus', 'client'),
      makeLeaf(strangerCa, 'prometheus', 'client'),
    ]);
    return { serverCa, server, rotatedServer, clientCa, client, strangerClient };
  })();
  return shared;
}

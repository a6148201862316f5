import { generate } from 'selfsigned';

export interface SimCert {
  key: string;
  cert: string;
}

// One certificate per process: suites start dozens of simulators and should not pay for key
// generation each time. EC keys keep generation in the tens of milliseconds.
let cached: Promise<SimCert> | undefined;

export function simulatorCert(): Promise<SimCert> {
  cached ??= create().catch((err: unknown) => {
    cached = undefined; // a failed attempt must not poison later starts
    throw err;
  });
  return cached;
}

async function create(): Promise<SimCert> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    // Back-dated so a client whose clock is slightly behind still accepts it.
    notBeforeDate: new Date(now - 24 * 3600_000),
    notAfterDate: new Date(now + 3650 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

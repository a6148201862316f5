import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import type { FaultRule } from '../../src/simulator/index.js';
import { simulatorCert } from '../../src/simulator/cert.js';
import { capturingLogger, createExporter } from '../integration/harness.js';
import {
  ALL_BACKUPS,
  BACKUPS,
  ONE,
  OTHERS,
  PASSWORD,
  USER,
  errorsTotal,
  expectCleanLog,
  expectOneWarningPerFailure,
  expectRecovered,
  expectUntouched,
  listenUntilCleanup,
  onCleanup,
  requestsTotal,
  rig,
  sample,
  sessionSecrets,
  site,
} from './harness.js';

const pointsOfOne = { path: new RegExp(`^/api/backups/${ONE}/restorePoints$`) };

const LAUGHS = [
  '<?xml version="1.0" encoding="utf-8"?>',
  '<!DOCTYPE RestorePoints [',
  '  <!ENTITY lol "lol">',
  ...Array.from({ length: 9 }, (_, i) => `  <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
  ']>',
  '<RestorePoints xmlns="http://www.veeam.com/ent/v1.0"><RestorePoint Name="&lol9;"><BackupDateUTC>2025-06-05T01:01:27Z</BackupDateUTC></RestorePoint></RestorePoints>',
].join('\n');

const EXTERNAL_ENTITY = [
  '<?xml version="1.0" encoding="utf-8"?>',
  '<!DOCTYPE RestorePoints [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY % remote SYSTEM "https://127.0.0.1:1/evil.dtd"> %remote; ]>',
  '<RestorePoints xmlns="http://www.veeam.com/ent/v1.0"><RestorePoint Name="&xxe;"><BackupDateUTC>&xxe;</BackupDateUTC></RestorePoint></RestorePoints>',
].join('\n');

interface BodyCase {
  name: string;
  format: 'xml' | 'json';
  fault: FaultRule['body'];
  message: RegExp;
}

const CASES: BodyCase[] = [
  {
    name: 'malformed XML',
    format: 'xml',
    fault: 'malformed',
    message:
      /cannot read EM's answer \(200, application\/xml; charset=utf-8\): malformed XML: .*: check that url points at the Enterprise Manager REST API/,
  },
  {
    name: 'malformed JSON',
    format: 'json',
    fault: 'malformed',
    message: /cannot read EM's answer \(200, application\/json.*\): malformed JSON/,
  },
  {
    name: 'a body truncated halfway (XML)',
    format: 'xml',
    fault: 'truncated',
    message: /cannot read EM's answer \(200, application\/xml; charset=utf-8\): malformed XML: /,
  },
  {
    name: 'a body truncated halfway (JSON)',
    format: 'json',
    fault: 'truncated',
    message: /cannot read EM's answer \(200, application\/json.*\): malformed JSON/,
  },
  {
    name: 'an empty body',
    format: 'xml',
    fault: 'empty',
    message: /cannot read EM's answer \(200, application\/xml.*\): empty body/,
  },
  {
    name: 'an HTML page (text/html)',
    format: 'xml',
    fault: { raw: '<html><body><h1>Proxy login</h1></body></html>', contentType: 'text/html; charset=utf-8' },
    message:
      /cannot read EM's answer \(200, text\/html; charset=utf-8\): unexpected content type "text\/html; charset=utf-8" \(expected XML or JSON\): check that url points at the Enterprise Manager REST API/,
  },
  // Not the expected shape: a parse failure, never "zero restore points".
  {
    name: 'a bare JSON null',
    format: 'json',
    fault: { raw: 'null', contentType: 'application/json' },
    message: /cannot read EM's answer \(200, application\/json\): unexpected JSON null/,
  },
  {
    name: 'a bare JSON array',
    format: 'json',
    fault: { raw: '[]', contentType: 'application/json' },
    message: /unexpected JSON array/,
  },
  {
    name: 'a QueryResult with neither Entities nor Refs',
    format: 'xml',
    fault: {
      raw: '<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><PagingInfo PagesCount="1" PageSize="1000" PageNum="1"/></QueryResult>',
      contentType: 'application/xml',
    },
    message: /QueryResult with neither Entities nor Refs/,
  },
  // EM answered, but with bytes the exporter cannot decode: parse, not a network failure.
  {
    name: 'a body declared gzip that is not',
    format: 'xml',
    fault: {
      raw: '<RestorePoints xmlns="http://www.veeam.com/ent/v1.0"/>',
      contentType: 'application/xml',
      headers: { 'content-encoding': 'gzip' },
    },
    message:
      /cannot read EM's answer \(200, application\/xml\): the body does not decode as its Content-Encoding "gzip" says \(Z_DATA_ERROR: .*\): check that url points at the Enterprise Manager REST API/,
  },
  {
    name: 'billion laughs',
    format: 'xml',
    fault: { raw: LAUGHS, contentType: 'application/xml; charset=utf-8' },
    message: /DOCTYPE declaration refused/,
  },
  {
    name: 'external entities',
    format: 'xml',
    fault: { raw: EXTERNAL_ENTITY, contentType: 'application/xml' },
    message: /DOCTYPE declaration refused/,
  },
];

describe('faults: unreadable answers', () => {
  it.each(CASES)(
    '$name: that backup fails as parse, not retried, the cycle completes; recovers with the next good answer',
    async ({ format, fault, message }) => {
      const r = await rig({ em: { format } });
      r.faulty.sim.addFault({ match: pointsOfOne, body: fault });
      const during = await r.cycle();

      expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: ONE })).toBe(0);
      for (const id of OTHERS)
        expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(1);
      expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(1);
      expect(errorsTotal(during.text, 'em01', 'parse')).toBe(1);
      // A bad answer is not asked for twice.
      expect(requestsTotal(during.text, 'em01', 'restore_points', '200')).toBe(4);
      expectOneWarningPerFailure(during.lines, 'em01', [ONE], 'parse', message);
      expectUntouched(during);
      // Nothing of the body's entities ever got expanded into the message.
      const warning = during.lines.find((l) => l.backup_id === ONE && l.level >= 40)!;
      expect(warning.msg).not.toMatch(/lollollol|root:/);
      expect(warning.msg.length).toBeLessThan(1_000);

      r.faulty.sim.clearFaults();
      const after = await r.cycle();
      expectRecovered(after);
      expectCleanLog(r.log, sessionSecrets(r.faulty, r.healthy));
    },
  );
});

describe('faults: oversized answers', () => {
  it('an answer over poll.maxResponseSize is refused from its Content-Length: parse, naming the limit; the others are read', async () => {
    const r = await rig({ poll: { maxResponseBytes: 64 * 1024 } });
    const big = `<RestorePoints xmlns="http://www.veeam.com/ent/v1.0">${' '.repeat(2 * 1024 * 1024)}</RestorePoints>`;
    r.faulty.sim.addFault({ match: pointsOfOne, body: { raw: big, contentType: 'application/xml' } });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: ONE })).toBe(0);
    expect(errorsTotal(during.text, 'em01', 'parse')).toBe(1);
    expectOneWarningPerFailure(
      during.lines,
      'em01',
      [ONE],
      'parse',
      /GET restore points: answer larger than 65536 bytes refused: check that url points at Enterprise Manager; a backup this large needs a bigger poll\.maxResponseSize$/,
    );
    expectUntouched(during);
    r.faulty.sim.clearFaults();
    expectRecovered(await r.cycle());
  });

  it('an endless answer without Content-Length is cut off at the limit, not buffered; the other EM polls on', async () => {
    const em = await startEndlessEm();
    const healthy = await site();
    const log = capturingLogger();
    const { config } = accepted(
      parseConfigText(
        [
          'poll:',
          '  maxResponseSize: 64KiB',
          '  retries: 0',
          '  timeout: 20s',
          'enterpriseManagers:',
          `  - name: em01`,
          `    url: ${em.url}`,
          `    username: 'u'`,
          `    password: p`,
          `    tls: { caFile: ${healthy.caFile} }`,
          `    backups: [${BACKUPS.daily}]`,
          `  - name: em02`,
          `    url: ${healthy.started.url}`,
          `    username: '${USER}'`,
          `    password: '${PASSWORD.replace(/'/g, "''")}'`,
          `    tls: { caFile: ${healthy.caFile} }`,
          `    backups: [${BACKUPS.daily}]`,
        ].join('\n'),
        'endless.yaml',
      ),
    );
    const exporter = createExporter(config, log.logger);
    onCleanup(() => exporter.stop());
    expect(await exporter.runOnce()).toBe(false);
    const text = await exporter.metrics.render();
    expect(sample(text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: BACKUPS.daily })).toBe(0);
    expect(errorsTotal(text, 'em01', 'parse')).toBe(1);
    expect(sample(text, 'veeam_em_backup_poll_success', { em: 'em02', backup_id: BACKUPS.daily })).toBe(1);
    const lines = log
      .lines()
      .filter((l) => l.backup_id === BACKUPS.daily && l.em === 'em01' && (l.level as number) >= 40);
    expect(lines).toHaveLength(1);
    expect(String(lines[0]!.msg)).toMatch(/answer larger than 65536 bytes refused/);
    // The exporter hung up; the server never got to push more than socket buffers hold past the limit.
    await em.closed;
    expect(em.served()).toBeLessThan(8 * 1024 * 1024);
  });
});

function accepted(result: ReturnType<typeof parseConfigText>) {
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result;
}

/** An "EM" that accepts any logon and answers every GET with an endless chunked XML body. */
async function startEndlessEm(): Promise<{ url: string; served: () => number; closed: Promise<void> }> {
  const { key, cert } = await simulatorCert();
  let served = 0;
  let closedByPeer: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (closedByPeer = resolve));
  const chunk = Buffer.from(
    '<RestorePoint><BackupDateUTC>2025-06-05T01:01:27Z</BackupDateUTC></RestorePoint>'.repeat(200),
  );
  const server = https.createServer({ key, cert }, (req, res) => {
    req.resume();
    if (req.method === 'POST') {
      res
        .writeHead(201, { 'x-restsvcsessionid': 'dG9rZW4=', 'content-type': 'application/xml' })
        .end('<LogonSession/>');
      return;
    }
    if (req.method === 'DELETE') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.write('<RestorePoints>');
    res.on('close', () => closedByPeer());
    const pump = (): void => {
      while (!res.destroyed && served < 1024 ** 3) {
        served += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  const port = await listenUntilCleanup(server);
  return { url: `https://127.0.0.1:${port}`, served: () => served, closed };
}

describe('faults: query-service pages that cannot be proven complete', () => {
  /** A full page of 1,000 points of `backup`, without PagesCount; with a Next link to page 2 when `next`. */
  function fullPage(backup: string, page: number, next: boolean, url: string): string {
    const points = Array.from({ length: 1000 }, (_, i) => {
      const n = (page - 1) * 1000 + i;
      const id = `${(0x20000000 + n).toString(16)}-1111-4aaa-8bbb-0123456789ab`;
      const when = new Date(Date.UTC(2025, 5, 7) - n * 60_000).toISOString();
      return `<RestorePoint UID="urn:veeam:RestorePoint:${id}" Name="x" Type="RestorePoint"><Links><Link Href="${url}/api/backups/${backup}" Type="BackupReference" Rel="Up"/></Links><BackupDateUTC>${when}</BackupDateUTC></RestorePoint>`;
    });
    const nextLink = next
      ? `<Link Rel="Next" Href="${url}/api/query?type=RestorePoint&amp;format=Entities&amp;pageSize=1000&amp;page=${page + 1}"/>`
      : '';
    return `<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Entities><RestorePoints>${points.join('')}</RestorePoints></Entities><PagingInfo PageSize="1000" PageNum="${page}"><Links>${nextLink}</Links></PagingInfo></QueryResult>`;
  }

  it('a second full page without PagesCount or Next: 2,000 of maybe 2,500 points are never exported; the backups of that request fail as parse and keep their values', async () => {
    const r = await rig({ em: { restorePoints: 'query' } });
    expectRecovered(await r.cycle());
    const url = r.faulty.started.url;
    r.faulty.sim.addFault({
      match: { path: '/api/query', query: /type=RestorePoint.*(^|&)page=1(&|$)/ },
      body: { raw: fullPage(ONE, 1, true, url), contentType: 'application/xml' },
    });
    r.faulty.sim.addFault({
      match: { path: '/api/query', query: /type=RestorePoint.*(^|&)page=2(&|$)/ },
      body: { raw: fullPage(ONE, 2, false, url), contentType: 'application/xml' },
    });
    const during = await r.cycle();
    expect(sample(during.text, 'veeam_em_up', { em: 'em01' })).toBe(1);
    for (const id of ALL_BACKUPS)
      expect(sample(during.text, 'veeam_em_backup_poll_success', { em: 'em01', backup_id: id })).toBe(0);
    // The values of the last good poll stay; 2,000 is never exported.
    expect(sample(during.text, 'veeam_em_backup_restore_points', { em: 'em01', backup_id: BACKUPS.daily })).toBe(3);
    expect(sample(during.text, 'veeam_em_backup_restore_points', { em: 'em01', backup_id: BACKUPS.hourly })).toBe(24);
    const warning = during.lines.find((l) => l.em === 'em01' && l.backup_id === ONE && l.level >= 40);
    expect(warning?.reason).toBe('parse');
    expect(warning?.msg).toMatch(
      /page 2 is full \(1000 items\) but has neither a Next link nor a PagesCount, so the list cannot be proven complete/,
    );
    expectUntouched(during);
    r.faulty.sim.clearFaults();
    expectRecovered(await r.cycle());
  });
});

/**
 * Entry point of a parse worker thread (see parse-pool.ts): parses one body per message and
 * answers with plain data. A body that fails to parse is judged for escaped secrets here, with the
 * secrets sent along, so the client never has to scan a large body on its own thread.
 */
import { parentPort } from 'node:worker_threads';
import { ParseError } from './parse/parse-error.js';
import { PARSERS } from './parse/parsers.js';
import { holdsSecret, redactSecrets } from './parse/secrets.js';
import type { ParseJob, ParseReply } from './parse-pool.js';

const port = parentPort;
if (port === null) throw new Error('parse-worker.js runs as a worker thread only');

port.on('message', (job: ParseJob) => {
  const body = Buffer.from(job.bytes).toString('utf8');
  let reply: ParseReply;
  try {
    reply = { id: job.id, ok: true, value: PARSERS[job.parser](body, job.contentType) };
  } catch (err) {
    if (err instanceof ParseError) {
      const escapedSecret = job.secrets.length > 0 && holdsSecret(redactSecrets(body, job.secrets), job.secrets);
      reply = { id: job.id, ok: false, template: err.template, escapedSecret };
    } else {
      // A parser bug, or a body that exhausts the stack: the body is unreadable all the same.
      reply = {
        id: job.id,
        ok: false,
        template: `the parser failed (${err instanceof Error ? err.name : 'error'})`,
        escapedSecret: false,
      };
    }
  }
  port.postMessage(reply);
});

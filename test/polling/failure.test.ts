import { describe, expect, it } from 'vitest';
import { EmError } from '../../src/em/errors.js';
import { reachedEm, toFailure } from '../../src/polling/failure.js';

const BUG = '(this is a bug in the exporter; please report it)';

describe('toFailure', () => {
  it('passes an EmError through as it is: the client already named its target', () => {
    const error = new EmError({
      em: 'em01',
      backupId: 'a',
      action: 'GET backup',
      reason: 'not_found',
      detail: 'EM answered 404',
      status: 404,
    });
    expect(toFailure(error, { em: 'em01', backupId: 'b' })).toBe(error);
  });

  it('reports anything else as a parse failure of the exporter, for the target given', () => {
    expect(toFailure(new TypeError('x is undefined'), { em: 'em01', backupId: 'a' })).toMatchObject({
      reason: 'parse',
      backupId: 'a',
      message: `em "em01": backup a: unexpected error while polling: x is undefined ${BUG}`,
    });
    // A discovery listing or the VM read has no backup: the message names none.
    expect(toFailure('boom', { em: 'em01' }).message).toBe(`em "em01": unexpected error while polling: boom ${BUG}`);
    expect(toFailure(new Error('boom'), { em: 'em01', subject: 'VM restore points' }).message).toBe(
      `em "em01": VM restore points: unexpected error while polling: boom ${BUG}`,
    );
  });

  it('does not take an object that only looks like a failure for one', () => {
    const lookalike = { reason: 'auth', message: 'em "em01": logon refused', duringLogon: true };
    const failure = toFailure(lookalike, { em: 'em01', backupId: 'a' });
    expect(failure).toBeInstanceOf(EmError);
    expect(failure.reason).toBe('parse');
    expect(failure.duringLogon).toBeUndefined();
  });
});

describe('reachedEm', () => {
  it('is false for a failure during logon and for one that got no answer, true for any answer', () => {
    expect(reachedEm(new EmError({ em: 'e', reason: 'http_5xx', detail: 'd', duringLogon: true }))).toBe(false);
    expect(reachedEm(new EmError({ em: 'e', reason: 'timeout', detail: 'd' }))).toBe(false);
    expect(reachedEm(new EmError({ em: 'e', reason: 'auth', detail: 'd', status: 403 }))).toBe(true);
  });
});

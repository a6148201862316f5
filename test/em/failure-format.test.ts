/**
 * The one wording of a failure: formatFailure with exact strings for every shape a failure takes
 * (EM-wide, per backup, per subject, during logon, with and without advice and status), and the
 * EmError that carries the fields from where a failure happens to where it is shown.
 */
import { describe, expect, it } from 'vitest';
import { formatFailure, type PollFailure } from '../../src/domain.js';
import { EmError, failureLogFields } from '../../src/em/errors.js';

const ID = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const ADVICE = 'check the EM service log (Veeam Backup Enterprise Manager RESTful API service)';

describe('formatFailure', () => {
  it.each<[string, PollFailure, string]>([
    [
      'EM-wide, action and advice',
      {
        em: 'em01',
        action: 'GET backups (discovery)',
        reason: 'http_5xx',
        detail: 'EM answered 500',
        advice: ADVICE,
        status: 500,
      },
      `em "em01": GET backups (discovery): EM answered 500: ${ADVICE}`,
    ],
    [
      'EM-wide, no advice',
      {
        em: 'em01',
        action: 'GET backups (discovery)',
        reason: 'network',
        detail: 'cancelled: the client is closing (the exporter is stopping)',
      },
      'em "em01": GET backups (discovery): cancelled: the client is closing (the exporter is stopping)',
    ],
    [
      'EM-wide, no action, no advice',
      { em: 'em01', reason: 'auth', detail: 'logon failed: boom' },
      'em "em01": logon failed: boom',
    ],
    [
      'per backup, action, advice and status',
      {
        em: 'em01',
        backupId: ID,
        action: 'GET restore points',
        reason: 'http_5xx',
        detail: 'EM answered 500 "Object reference not set"',
        advice: ADVICE,
        status: 500,
      },
      `em "em01": backup ${ID}: GET restore points: EM answered 500 "Object reference not set": ${ADVICE}`,
    ],
    [
      'per backup, same without status',
      {
        em: 'em01',
        backupId: ID,
        action: 'GET restore points',
        reason: 'http_5xx',
        detail: 'EM answered 500 "Object reference not set"',
        advice: ADVICE,
      },
      `em "em01": backup ${ID}: GET restore points: EM answered 500 "Object reference not set": ${ADVICE}`,
    ],
    [
      'per backup, no advice',
      {
        em: 'em01',
        backupId: ID,
        action: 'query restore points',
        reason: 'parse',
        detail: 'restore point #1 (no UID) has no BackupReference link, so its backup is unknown',
      },
      `em "em01": backup ${ID}: query restore points: restore point #1 (no UID) has no BackupReference link, so its backup is unknown`,
    ],
    [
      'per backup, no action',
      {
        em: 'em01',
        backupId: ID,
        reason: 'timeout',
        detail: 'not polled within the cycle deadline of 60s (poll.cycleTimeout); EM answers too slowly or not at all',
        advice: "check EM's load and the network, or lower poll.timeout",
      },
      `em "em01": backup ${ID}: not polled within the cycle deadline of 60s (poll.cycleTimeout); EM answers too slowly or not at all: check EM's load and the network, or lower poll.timeout`,
    ],
    [
      'during logon, per backup, with advice and status',
      {
        em: 'em01',
        backupId: ID,
        action: 'logon as "svc"',
        reason: 'http_5xx',
        detail: 'EM answered 503',
        advice: 'check the EM service log (not logging on again for another 30s)',
        status: 503,
        duringLogon: true,
      },
      `em "em01": backup ${ID}: logon as "svc": EM answered 503: check the EM service log (not logging on again for another 30s)`,
    ],
    [
      'during logon, per backup, no advice',
      {
        em: 'em01',
        backupId: ID,
        action: 'logon as "svc"',
        reason: 'auth',
        detail: 'cannot read the password: ENOENT',
        duringLogon: true,
      },
      `em "em01": backup ${ID}: logon as "svc": cannot read the password: ENOENT`,
    ],
    [
      'during logon, EM-wide, the action inside the detail',
      {
        em: 'em01',
        reason: 'auth',
        detail: 'logon as "svc" refused (EM answered 401)',
        advice: 'check username and password',
        status: 401,
        duringLogon: true,
      },
      'em "em01": logon as "svc" refused (EM answered 401): check username and password',
    ],
    [
      'a subject in place of a backup',
      {
        em: 'em01',
        subject: 'VM restore points',
        action: 'query VM restore points (page 2 of 3)',
        reason: 'timeout',
        detail: 'no answer within 30s (ETIMEDOUT)',
        advice: 'check that EM is reachable',
      },
      'em "em01": VM restore points: query VM restore points (page 2 of 3): no answer within 30s (ETIMEDOUT): check that EM is reachable',
    ],
    [
      'a backup and a subject',
      { em: 'em "x"', backupId: 'b', subject: 'VM restore points', reason: 'parse', detail: 'd' },
      'em "em "x"": backup b: VM restore points: d',
    ],
  ])('%s', (_, failure, expected) => {
    expect(formatFailure(failure)).toBe(expected);
    expect(new EmError(failure).message).toBe(expected);
  });

  it('names only the EM, or nothing of the target, when the line or the row already names it', () => {
    const failure: PollFailure = {
      em: 'em01',
      backupId: ID,
      subject: 'VM restore points',
      action: 'GET backup',
      reason: 'not_found',
      detail: 'EM answered 404',
      advice: 'check the backup ID',
      status: 404,
    };
    expect(formatFailure(failure, 'full')).toBe(
      `em "em01": backup ${ID}: VM restore points: GET backup: EM answered 404: check the backup ID`,
    );
    expect(formatFailure(failure, 'em')).toBe('em "em01": GET backup: EM answered 404: check the backup ID');
    expect(formatFailure(failure, 'none')).toBe('GET backup: EM answered 404: check the backup ID');
    expect(formatFailure({ em: 'em01', reason: 'auth', detail: 'logon failed' }, 'none')).toBe('logon failed');
  });

  it('never scans or rewrites the text it is given: a detail that looks like a target stays as it is', () => {
    expect(formatFailure({ em: 'em01', reason: 'parse', detail: ': em "em02": backup x' })).toBe(
      'em "em01": : em "em02": backup x',
    );
  });
});

describe('EmError', () => {
  const failure = new EmError({
    em: 'em01',
    action: 'query restore points (page 1)',
    reason: 'http_5xx',
    detail: 'EM answered 500',
    advice: ADVICE,
    status: 500,
  });

  it('keeps its fields and nothing undefined', () => {
    expect(failure.fields()).toStrictEqual({
      em: 'em01',
      action: 'query restore points (page 1)',
      reason: 'http_5xx',
      detail: 'EM answered 500',
      advice: ADVICE,
      status: 500,
    });
    expect(Object.keys(failure)).not.toContain('backupId');
    expect(failure.name).toBe('EmError');
  });

  it('is handed to a backup by its target, not by rewriting its message', () => {
    const forBackup = failure.at({ em: 'em01', backupId: ID });
    expect(forBackup).toBeInstanceOf(EmError);
    expect(forBackup.message).toBe(
      `em "em01": backup ${ID}: query restore points (page 1): EM answered 500: ${ADVICE}`,
    );
    expect(forBackup).toMatchObject({ reason: 'http_5xx', status: 500, backupId: ID });
    // A new target replaces the old one whole: a failure handed on from a backup to an EM-wide request names no backup.
    const wide = forBackup.at({ em: 'em01', subject: 'VM restore points' });
    expect(wide.backupId).toBeUndefined();
    expect(wide.message).toBe(
      `em "em01": VM restore points: query restore points (page 1): EM answered 500: ${ADVICE}`,
    );
    expect(failure.message).toBe(`em "em01": query restore points (page 1): EM answered 500: ${ADVICE}`);
  });

  it('marks a copy as failed during logon without changing the original', () => {
    const during = failure.with({ duringLogon: true });
    expect(during.duringLogon).toBe(true);
    expect(failure.duringLogon).toBeUndefined();
    expect(during.message).toBe(failure.message);
  });

  it('gives log lines its EM, action and reason as fields', () => {
    expect(failureLogFields(failure)).toStrictEqual({
      em: 'em01',
      action: 'query restore points (page 1)',
      reason: 'http_5xx',
    });
    expect(failureLogFields({ em: 'em01', backupId: ID, reason: 'auth', detail: 'x' })).toStrictEqual({
      em: 'em01',
      reason: 'auth',
    });
  });
});

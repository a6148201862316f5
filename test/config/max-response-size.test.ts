import { describe, expect, it } from 'vitest';
import { parseConfigText, type ConfigIssue, type ExporterConfig } from '../../src/config/index.js';
import { parseByteSize } from '../../src/config/schema.js';

const GUID = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';

function withPoll(poll: string): string {
  return `poll:
${poll}
enterpriseManagers:
  - url: https://em01.example.local:9398
    username: svc
    password: pw
    backups: [${GUID}]
`;
}

function poll(text: string): ExporterConfig['poll'] {
  const result = parseConfigText(text, 'config.yaml', {});
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result.config.poll;
}

function issues(text: string): ConfigIssue[] {
  const result = parseConfigText(text, 'config.yaml', {});
  if (result.ok) throw new Error('accepted');
  return result.issues;
}

describe('poll.maxResponseSize', () => {
  it.each([
    ['64KiB', 64 * 1024],
    ['64KB', 64 * 1024],
    ['32MiB', 32 * 1024 * 1024],
    ['1GB', 1024 ** 3],
    ['2048B', 2048],
  ])('%s is %i bytes', (text, bytes) => {
    expect(poll(withPoll(`  maxResponseSize: ${text}`)).maxResponseBytes).toBe(bytes);
  });

  it('is absent unless set, leaving the client default', () => {
    expect(poll(withPoll('  retries: 1'))).not.toHaveProperty('maxResponseBytes');
  });

  it.each([
    ['32 megabytes', /not a valid size "32 megabytes": use an integer and a unit/],
    ['1.5MiB', /not a valid size/],
    ['512B', /must be at least 1KiB/],
    ['100', /not a valid size "100"/],
  ])('refuses %j with the key path and line', (text, message) => {
    const [issue, ...rest] = issues(withPoll(`  maxResponseSize: "${text}"`));
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ path: 'poll.maxResponseSize', line: 2 });
    expect(issue!.message).toMatch(message);
  });

  it('refuses a bare number, asking for a unit', () => {
    const [issue] = issues(withPoll('  maxResponseSize: 1048576'));
    expect(issue).toMatchObject({ path: 'poll.maxResponseSize' });
    expect(issue!.message).toMatch(/size such as 32MiB/);
  });

  it('parseByteSize refuses sizes beyond safe integers', () => {
    expect(() => parseByteSize('99999999999999999GiB')).toThrow(/too large/);
  });
});

import { describe, expect, it } from 'vitest';
import { excerpt, parseErrorMessage } from '../../src/em/index.js';
import { JSON_CT, XML, fixture } from './fixtures.js';

describe('parseErrorMessage', () => {
  it('reads the Message attribute of an XML Error', () => {
    expect(parseErrorMessage(fixture('error-500.xml'), XML)).toBe(
      'Object reference not set to an instance of an object.',
    );
  });

  it('falls back to FirstChanceExceptionMessage', () => {
    expect(
      parseErrorMessage(
        '<Error StatusCode="500"><FirstChanceExceptionMessage>boom</FirstChanceExceptionMessage></Error>',
        XML,
      ),
    ).toBe('boom');
  });

  it('reads EM 12 and EM 13 JSON errors', () => {
    expect(parseErrorMessage(fixture('error-400.json'), JSON_CT)).toBe('Node [root] does not exist.');
    expect(parseErrorMessage('{"message":"Access denied.","statusCode":403}', JSON_CT)).toBe('Access denied.');
  });

  it('shortens long messages to one line', () => {
    const message = parseErrorMessage(`<Error Message="line1&#10;${'x'.repeat(500)}"/>`, XML) ?? '';
    expect(message.startsWith('line1 xxx')).toBe(true);
    expect(message.length).toBeLessThanOrEqual(101);
    expect(message.endsWith('…')).toBe(true);
  });

  it('uses a short text/plain body as is', () => {
    expect(parseErrorMessage('Service Unavailable\r\n', 'text/plain')).toBe('Service Unavailable');
  });

  it('has no explanation for HTML, non-Error documents, garbage or huge bodies', () => {
    expect(parseErrorMessage(fixture('garbage.html'), 'text/html')).toBeUndefined();
    expect(parseErrorMessage('<RestorePoints/>', XML)).toBeUndefined();
    expect(parseErrorMessage('{"RestorePoints":[]}', JSON_CT)).toBeUndefined();
    expect(parseErrorMessage('<Error', XML)).toBeUndefined();
    expect(parseErrorMessage('', XML)).toBeUndefined();
    expect(parseErrorMessage(`<Error Message="x">${' '.repeat(70_000)}</Error>`, XML)).toBeUndefined();
  });
});

describe('excerpt', () => {
  it('keeps short text, flattens control characters and cuts long text', () => {
    expect(excerpt('abc')).toBe('abc');
    expect(excerpt('a\nb\tc')).toBe('a b c');
    expect(excerpt('x'.repeat(150))).toBe(`${'x'.repeat(100)}…`);
    expect(excerpt('y'.repeat(5_000_000), 10)).toBe(`${'y'.repeat(10)}…`);
  });
});

describe('parseErrorMessage cleaning', () => {
  it('cleans before shortening, so a secret cut by the limit cannot slip through', () => {
    const secret = 'S'.repeat(60);
    const body = `<Error Message="${'m'.repeat(80)} ${secret}"/>`;
    const clean = (t: string) => t.split(secret).join('[redacted]');
    expect(parseErrorMessage(body, XML, clean)).toBe(`${'m'.repeat(80)} [redacted]`);
    expect(parseErrorMessage(body, XML)).toContain('SSSS');
  });
});

import { describe, expect, it } from 'vitest';
import { holdsSecret, redactSecrets } from '../../src/em/parse/secrets.js';

describe('redactSecrets', () => {
  it('replaces every occurrence, the longer secret first', () => {
    expect(redactSecrets('a hunter2 b hunter22', ['hunter2', 'hunter22'])).toBe('a [redacted] b [redacted]');
  });

  it('finds a secret with white space at its ends as a parser trimmed it from an echoed value', () => {
    // XML and JSON readers trim values: a password " P1q1 " echoed as a name reads "P1q1".
    expect(redactSecrets('restore point (P1q1P1q1 tail)', [' P1q1P1q1'])).toBe('restore point ([redacted] tail)');
    expect(redactSecrets('name: "secret"', ['\tsecret\t'])).toBe('name: "[redacted]"');
  });

  it('leaves text alone for a secret of white space only', () => {
    expect(redactSecrets('a b', ['  '])).toBe('a b');
  });
});

describe('holdsSecret', () => {
  it('sees a trimmed secret, and one escaped for XML or JSON', () => {
    expect(holdsSecret('x P1q1P1q1 y', [' P1q1P1q1'])).toBe(true);
    expect(holdsSecret('x a&amp;b y', ['a&b'])).toBe(true);
    expect(holdsSecret('x a\\"b y', ['a"b'])).toBe(true);
    expect(holdsSecret('nothing here', [' P1q1P1q1'])).toBe(false);
  });
});

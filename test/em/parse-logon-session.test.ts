import { describe, expect, it } from 'vitest';
import { ParseError, parseLogonSession, sessionIdFromToken } from '../../src/em/index.js';
import { JSON_CT, XML, fixture } from './fixtures.js';

describe('parseLogonSession', () => {
  it('takes SessionId from the XML LogonSession', () => {
    expect(parseLogonSession(fixture('logon-session.xml'), XML)).toEqual({
      sessionId: '9d3e5f70-6b1a-4c2d-8e9f-a0b1c2d3e4f5',
    });
  });

  it('takes SessionId from EM 12 JSON', () => {
    expect(parseLogonSession(fixture('logon-session-v12.json'), JSON_CT)).toEqual({
      sessionId: '9d3e5f70-6b1a-4c2d-8e9f-a0b1c2d3e4f5',
    });
  });

  it('falls back to the id in the Delete link when SessionId is null', () => {
    expect(parseLogonSession(fixture('logon-session-v13-no-id.json'), JSON_CT)).toEqual({
      sessionId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
    });
  });

  it('falls back to the entity Href, and to nothing', () => {
    expect(parseLogonSession('<LogonSession Href="https://em/api/logonSessions/abc%2Fd"/>', XML)).toEqual({
      sessionId: 'abc/d',
    });
    expect(parseLogonSession('{"UserName":"u"}', JSON_CT)).toEqual({ sessionId: undefined });
  });

  it('refuses a body that is not a LogonSession', () => {
    expect(() => parseLogonSession('<Error Message="x"/>', XML)).toThrow(ParseError);
    expect(() => parseLogonSession('[]', JSON_CT)).toThrow(ParseError);
  });
});

describe('sessionIdFromToken', () => {
  it('decodes a token that is base64 of the session GUID', () => {
    const id = '44cfbdbe-5a95-4d0c-9d1e-0123456789ab';
    expect(sessionIdFromToken(Buffer.from(id).toString('base64'))).toBe(id);
  });

  it('returns undefined for opaque tokens', () => {
    expect(sessionIdFromToken('O9Msj3rq7EGUhtSMBQx+mw==')).toBeUndefined();
  });
});

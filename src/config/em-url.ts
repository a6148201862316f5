export type EmUrlResult = { ok: true; url: string; hostname: string } | { ok: false; error: string };

const HINT = 'expected https://HOST[:PORT], e.g. https://em01.example.local:9398';

/**
 * Normalises the EM base URL: no trailing slash and no trailing `/api`, because the client appends
 * `/api` itself. A path prefix (reverse proxy) is kept. The URL is never echoed in errors: it might
 * carry credentials.
 */
export function normalizeEmUrl(text: string): EmUrlResult {
  if (!/^https?:\/\//i.test(text)) return { ok: false, error: `must start with https:// or http://; ${HINT}` };
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return { ok: false, error: `not a valid URL; ${HINT}` };
  }
  if (parsed.hostname === '') return { ok: false, error: `has no host; ${HINT}` };
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, error: 'must not contain credentials; use username and password or passwordFile' };
  }
  if (parsed.search !== '' || parsed.hash !== '')
    return { ok: false, error: `must not contain a query or fragment; ${HINT}` };
  const path = parsed.pathname
    .replace(/\/+$/, '')
    .replace(/\/api$/i, '')
    .replace(/\/+$/, '');
  return {
    ok: true,
    url: `${parsed.protocol}//${parsed.host}${path}`,
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
  };
}

/** Loopback hosts, where plain http does not expose the password to the network. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

import { isIP, isIPv6 } from 'node:net';

export interface ListenAddress {
  /** Undefined means every interface (`:10398`). IPv6 hosts come without brackets. */
  host?: string;
  /** 0 lets the system pick a free port. */
  port: number;
}

const HOSTNAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const EXAMPLES = 'e.g. :10398, 127.0.0.1:10398 or [::1]:10398';

function parsePort(text: string, address: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`"${address}": port must be a number from 0 to 65535`);
  return port;
}

/** `[HOST]:PORT` as Prometheus exporters take it; throws an Error that quotes the address. */
export function parseListenAddress(address: string): ListenAddress {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(address);
  if (bracketed !== null) {
    const [, host = '', port = ''] = bracketed;
    if (!isIPv6(host)) throw new Error(`"${address}": "${host}" in brackets is not an IPv6 address`);
    return { host, port: parsePort(port, address) };
  }
  const colon = address.lastIndexOf(':');
  if (colon === -1 || address.startsWith('[')) throw new Error(`"${address}" is not [HOST]:PORT; ${EXAMPLES}`);
  const host = address.slice(0, colon);
  const port = parsePort(address.slice(colon + 1), address);
  if (host === '') return { port };
  if (host.includes(':')) throw new Error(`"${address}": an IPv6 host goes in brackets, e.g. [::1]:10398`);
  if (isIP(host) === 0 && !HOSTNAME_RE.test(host))
    throw new Error(`"${address}": "${host}" is not a host name or IP address`);
  return { host, port };
}

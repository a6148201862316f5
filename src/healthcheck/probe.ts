import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import tls from 'node:tls';
import type { Flags } from '../cli/flags.js';
import { formatIssue } from '../config/index.js';
import { loadWebConfig, type WebConfig } from '../web-config/index.js';

/** What the probe needs besides the exporter's flags; all from the environment, see docs/operations.md. */
export interface ProbeCredentials {
  username?: string;
  password?: string;
  /** Client certificate for a web config whose client_auth_type asks for one. */
  certPem?: string;
  keyPem?: string;
}

export interface ProbeTarget {
  host: string;
  port: number;
  path: string;
}

export type ProbeResult = { ok: true; message: string } | { ok: false; message: string };

const HEALTH_PATH = '/-/healthy';

/**
 * Where to reach the exporter from inside its own network namespace. A wildcard or missing host means
 * "every interface", which loopback is one of; a named host is used as given.
 */
export function probeTarget(listen: Flags['listen']): ProbeTarget {
  if (listen.port === 0)
    throw new Error('--web.listen-address has port 0 (a random port), so there is no fixed port to probe');
  const host =
    listen.host === undefined || listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return { host, port: listen.port, path: HEALTH_PATH };
}

/** Reads the probe's credentials from the environment; a password file wins over an inline password. */
export async function credentialsFromEnv(env: NodeJS.ProcessEnv): Promise<ProbeCredentials> {
  const read = async (name: string): Promise<string> => {
    const file = env[name]!;
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`${name}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
    }
  };
  const credentials: ProbeCredentials = {};
  if (env.VEEAM_EM_HEALTHCHECK_USERNAME) credentials.username = env.VEEAM_EM_HEALTHCHECK_USERNAME;
  // A trailing newline from `echo secret > file` is not part of the password.
  if (env.VEEAM_EM_HEALTHCHECK_PASSWORD_FILE)
    credentials.password = (await read('VEEAM_EM_HEALTHCHECK_PASSWORD_FILE')).replace(/\r?\n$/, '');
  else if (env.VEEAM_EM_HEALTHCHECK_PASSWORD) credentials.password = env.VEEAM_EM_HEALTHCHECK_PASSWORD;
  if (env.VEEAM_EM_HEALTHCHECK_CERT_FILE) credentials.certPem = await read('VEEAM_EM_HEALTHCHECK_CERT_FILE');
  if (env.VEEAM_EM_HEALTHCHECK_KEY_FILE) credentials.keyPem = await read('VEEAM_EM_HEALTHCHECK_KEY_FILE');
  return credentials;
}

/** The Authorization header the web config asks for, or an explanation of what is missing. */
function authorization(
  config: WebConfig | undefined,
  credentials: ProbeCredentials,
): { header?: string; problem?: string } {
  if (config === undefined || config.users.size === 0) return {};
  const { username, password } = credentials;
  if (username === undefined || password === undefined) {
    return {
      problem:
        'the web config sets basic_auth_users: set VEEAM_EM_HEALTHCHECK_USERNAME and VEEAM_EM_HEALTHCHECK_PASSWORD_FILE (or VEEAM_EM_HEALTHCHECK_PASSWORD)',
    };
  }
  if (!config.users.has(username))
    return { problem: `VEEAM_EM_HEALTHCHECK_USERNAME "${username}" is not one of the web config's basic_auth_users` };
  return { header: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

/**
 * With TLS, the connection is accepted only if the server presents the very certificate the web config
 * names (SHA-256 pinned), so the credential is never sent to anything else. A name check would not
 * work here: the probe dials loopback, which the certificate rarely names.
 */
function connectTls(
  target: ProbeTarget,
  config: WebConfig,
  credentials: ProbeCredentials,
  timeoutMs: number,
): Promise<tls.TLSSocket> {
  const expected = config.tls!.certFingerprint256;
  return new Promise((resolvePromise, reject) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      rejectUnauthorized: false,
      ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
      ...(credentials.certPem !== undefined && credentials.keyPem !== undefined
        ? { cert: credentials.certPem, key: credentials.keyPem }
        : {}),
    });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const presented = socket.getPeerCertificate().fingerprint256;
      if (presented !== expected) {
        socket.destroy();
        reject(
          new Error(`the server's certificate (SHA-256 ${presented}) is not the one in the web config (${expected})`),
        );
        return;
      }
      resolvePromise(socket);
    });
  });
}

/** GET /-/healthy on the exporter described by `flags`; healthy only on a 200. Never throws. */
export async function probe(
  flags: Flags,
  credentials: ProbeCredentials,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 4_000;
  let target: ProbeTarget;
  try {
    target = probeTarget(flags.listen);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }

  let config: WebConfig | undefined;
  if (flags.webConfigFile !== undefined) {
    const loaded = await loadWebConfig(resolve(options.cwd ?? process.cwd(), flags.webConfigFile));
    if (!loaded.ok) return { ok: false, message: `web config: ${loaded.issues.map(formatIssue).join('; ')}` };
    config = loaded.config;
  }
  const auth = authorization(config, credentials);
  if (auth.problem !== undefined) return { ok: false, message: auth.problem };

  const scheme = config?.tls !== undefined ? 'https' : 'http';
  const hostInUrl = target.host.includes(':') ? `[${target.host}]` : target.host;
  const url = `${scheme}://${hostInUrl}:${target.port}${target.path}`;
  try {
    const socket = config?.tls !== undefined ? await connectTls(target, config, credentials, timeoutMs) : undefined;
    const status = await new Promise<number>((resolvePromise, reject) => {
      const request = http.request(
        {
          host: target.host,
          port: target.port,
          path: target.path,
          method: 'GET',
          headers: { connection: 'close', ...(auth.header !== undefined ? { authorization: auth.header } : {}) },
          ...(socket !== undefined ? { createConnection: () => socket } : {}),
          timeout: timeoutMs,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolvePromise(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end();
    });
    return status === 200 ? { ok: true, message: `${url}: 200` } : { ok: false, message: `${url}: HTTP ${status}` };
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    return {
      ok: false,
      message: `${url}: ${err.code ?? err.message}${err.code !== undefined ? ` (${err.message})` : ''}`,
    };
  }
}

import type { SecureVersion } from 'node:tls';
import { LEGACY_CLIENT_AUTH_ALIASES, type RawTlsServerConfig, type RawWebConfig } from './schema.js';
import { ALLOWED_HEADERS, CIPHER_SUITES, CURVES, TLS_VERSIONS } from './toolkit-names.js';
import type { ClientAuthType } from './types.js';
import type { PathSegment } from './yaml-source.js';

export interface PendingIssue {
  path: PathSegment[];
  message: string;
  /** Point at the key rather than its value (unknown or disallowed names). */
  atKey?: boolean;
}

/** TLS settings that passed validation but whose files have not been read yet. */
export interface TlsPlan {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
  clientAuthType: ClientAuthType;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  ciphers?: string;
  ecdhCurve?: string;
  honorCipherOrder: boolean;
}

export interface ValidatedWebConfig {
  tls?: TlsPlan;
  headers: Record<string, string>;
  users: Map<string, string>;
}

// Go's bcrypt.Cost accepts these; `$2x$` (the buggy crypt_blowfish variant) is refused by bcryptjs too.
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const MIN_BCRYPT_COST = 4;
const MAX_BCRYPT_COST = 31;
const VERIFYING_AUTH_TYPES: readonly ClientAuthType[] = ['VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];
const TLS_VERSION_ORDER = Object.keys(TLS_VERSIONS);

export function bcryptCost(hash: string): number | undefined {
  const match = BCRYPT_HASH.exec(hash);
  const cost = match ? Number(match[1]) : NaN;
  return cost >= MIN_BCRYPT_COST && cost <= MAX_BCRYPT_COST ? cost : undefined;
}

export function validateWebConfig(raw: RawWebConfig): {
  value: ValidatedWebConfig;
  issues: PendingIssue[];
  warnings: PendingIssue[];
} {
  const issues: PendingIssue[] = [];
  const warnings: PendingIssue[] = [];
  const tls = raw.tls_server_config ? validateTls(raw.tls_server_config, issues, warnings) : undefined;
  if (raw.http_server_config?.http2 === true) {
    issues.push({
      path: ['http_server_config', 'http2'],
      message: 'HTTP/2 is not supported: this exporter serves HTTP/1.1 only; remove the key or set it to false',
    });
  }
  const headers = validateHeaders(raw.http_server_config?.headers ?? {}, issues);
  const users = validateUsers(raw.basic_auth_users ?? {}, issues);
  if (users.size > 0 && !tls) {
    warnings.push({
      path: ['basic_auth_users'],
      message: 'basic auth without tls_server_config sends passwords in clear text; configure TLS as well',
      atKey: true,
    });
  }
  return { value: { tls, headers, users }, issues, warnings };
}

function validateTls(raw: RawTlsServerConfig, issues: PendingIssue[], warnings: PendingIssue[]): TlsPlan | undefined {
  const at = (key: string): PathSegment[] => ['tls_server_config', key];
  const certFile = nonEmpty(raw.cert_file);
  const keyFile = nonEmpty(raw.key_file);
  const clientCaFile = nonEmpty(raw.client_ca_file);
  const authName = nonEmpty(raw.client_auth_type);
  // Same rule as exporter-toolkit: any of these turns TLS on, and then a certificate is mandatory.
  if (!certFile && !keyFile && !clientCaFile && !authName) return undefined;

  const before = issues.length;
  if (!certFile)
    issues.push({
      path: at('cert_file'),
      message: 'missing: TLS is configured, so cert_file (PEM certificate) is required',
    });
  if (!keyFile)
    issues.push({
      path: at('key_file'),
      message: 'missing: TLS is configured, so key_file (PEM private key) is required',
    });

  const clientAuthType = ((authName && LEGACY_CLIENT_AUTH_ALIASES[authName]) ??
    authName ??
    'NoClientCert') as ClientAuthType;
  if (clientCaFile && clientAuthType === 'NoClientCert') {
    issues.push({
      path: at('client_ca_file'),
      message:
        'client_ca_file is set but client_auth_type is NoClientCert; set client_auth_type: RequireAndVerifyClientCert to check clients against this CA',
    });
  }
  if (!clientCaFile && VERIFYING_AUTH_TYPES.includes(clientAuthType)) {
    // Stricter than exporter-toolkit on purpose: without a CA it would trust any certificate a public CA ever issued.
    issues.push({
      path: at('client_auth_type'),
      message: `${clientAuthType} needs client_ca_file: without it any certificate from a public CA would be accepted`,
    });
  }

  const minName = raw.min_version ?? 'TLS12';
  const maxName = raw.max_version ?? 'TLS13';
  if (TLS_VERSION_ORDER.indexOf(minName) > TLS_VERSION_ORDER.indexOf(maxName)) {
    issues.push({ path: at('max_version'), message: `max_version ${maxName} is lower than min_version ${minName}` });
  }
  if (TLS_VERSION_ORDER.indexOf(minName) < TLS_VERSION_ORDER.indexOf('TLS12')) {
    warnings.push({ path: at('min_version'), message: `${minName} is obsolete; clients and OpenSSL may refuse it` });
  }

  const suites = raw.cipher_suites ?? [];
  const openSslSuites = suites.map((name) => CIPHER_SUITES[name]).filter((name): name is string => name !== undefined);
  suites.forEach((name, index) => {
    if (CIPHER_SUITES[name] === undefined) {
      warnings.push({
        path: ['tls_server_config', 'cipher_suites', index],
        message: `${name} has no effect: TLS 1.3 suites are not configurable (as in exporter-toolkit); cipher_suites applies to TLS 1.2 and below`,
      });
    }
  });
  const curves = (raw.curve_preferences ?? [])
    .map((name) => CURVES[name])
    .filter((name): name is string => name !== undefined);

  if (issues.length > before || !certFile || !keyFile) return undefined;
  return {
    certFile,
    keyFile,
    ...(clientCaFile ? { clientCaFile } : {}),
    clientAuthType,
    minVersion: TLS_VERSIONS[minName] ?? 'TLSv1.2',
    maxVersion: TLS_VERSIONS[maxName] ?? 'TLSv1.3',
    ...(openSslSuites.length > 0 ? { ciphers: openSslSuites.join(':') } : {}),
    ...(curves.length > 0 ? { ecdhCurve: curves.join(':') } : {}),
    honorCipherOrder: raw.prefer_server_cipher_suites ?? true,
  };
}

function validateHeaders(raw: Record<string, string | null>, issues: PendingIssue[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const allowedNames = Object.keys(ALLOWED_HEADERS);
  for (const [name, value] of Object.entries(raw)) {
    const path: PathSegment[] = ['http_server_config', 'headers', name];
    if (!allowedNames.includes(name)) {
      const sameIgnoringCase = allowedNames.find((n) => n.toLowerCase() === name.toLowerCase());
      const hint = sameIgnoringCase
        ? `did you mean ${sameIgnoringCase}? Names are case-sensitive`
        : `allowed: ${allowedNames.join(', ')}`;
      issues.push({ path, atKey: true, message: `header ${JSON.stringify(name)} cannot be configured (${hint})` });
      continue;
    }
    // exporter-toolkit: a blank value leaves the header unset.
    if (value === null || value === '') continue;
    const allowedValues = ALLOWED_HEADERS[name];
    if (allowedValues && !allowedValues.includes(value)) {
      issues.push({
        path,
        message: `invalid value ${JSON.stringify(value)}; expected one of ${allowedValues.join(', ')} (case-sensitive)`,
      });
      continue;
    }
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      issues.push({
        path,
        message: 'the value contains control characters (line breaks?), which HTTP headers cannot carry',
      });
      continue;
    }
    headers[name] = value;
  }
  return headers;
}

function validateUsers(raw: Record<string, string>, issues: PendingIssue[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const [user, hash] of Object.entries(raw)) {
    const path: PathSegment[] = ['basic_auth_users', user];
    if (user.includes(':')) {
      issues.push({
        path,
        atKey: true,
        message: 'a user name cannot contain ":" because Basic auth splits user and password there',
      });
      continue;
    }
    if (bcryptCost(hash) === undefined) {
      // Never echo the value: it is a password hash, or worse, a plain password pasted by mistake.
      issues.push({
        path,
        message: `not a bcrypt hash ($2y$, $2b$ or $2a$, cost ${MIN_BCRYPT_COST}-${MAX_BCRYPT_COST}, 60 characters); create one with: htpasswd -nBC 10 "" | tr -d ':\\n'`,
      });
      continue;
    }
    users.set(user, hash);
  }
  return users;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

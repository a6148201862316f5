import type { SecureVersion } from 'node:tls';
import type { ConfigIssue } from '../config/types.js';
import type { Secret } from './secret.js';

/** exporter-toolkit `client_auth_type` values, named after Go's crypto/tls ClientAuthType. */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** One problem in a web config file; the same shape as the main config's issues so one formatter serves both. */
/** A problem in the web config, pinned like the main config's (key path e.g. `tls_server_config.client_auth_type`). */
export type WebConfigIssue = ConfigIssue;

export interface TlsServerSettings {
  /** Absolute paths, resolved against the web config file's directory. */
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
  certPem: string;
  keyPem: Secret;
  clientCaPem?: string;
  /** SHA-256 of the leaf certificate, as `X509Certificate.fingerprint256` prints it; safe to log. */
  certFingerprint256: string;
  certValidTo: string;
  clientAuthType: ClientAuthType;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** OpenSSL cipher list for TLS 1.2 and below; undefined keeps Node's defaults. */
  ciphers?: string;
  /** OpenSSL group list (`P-256:X25519`); undefined keeps Node's defaults. */
  ecdhCurve?: string;
  honorCipherOrder: boolean;
}

export interface WebConfig {
  /** Absolute path of the web config file. */
  file: string;
  /** Undefined: serve plain HTTP. */
  tls?: TlsServerSettings;
  /** Extra response headers, only from exporter-toolkit's fixed set; blank values already dropped. */
  headers: Readonly<Record<string, string>>;
  /** User name to bcrypt hash. Empty: no authentication. */
  users: ReadonlyMap<string, Secret>;
}

export type WebConfigResult =
  { ok: true; config: WebConfig; warnings: WebConfigIssue[] } | { ok: false; issues: WebConfigIssue[] };

/** The subset of a pino logger this module needs, so it stays usable without pino. */
export interface WebConfigLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

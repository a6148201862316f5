import type { SecureVersion } from 'node:tls';

/** exporter-toolkit's TLS version names, in Node's spelling. */
export const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/**
 * Go's crypto/tls cipher suite names (what exporter-toolkit accepts) mapped to OpenSSL's names (what Node
 * accepts). TLS 1.3 suites map to undefined: Go does not let them be configured, so listing them has no
 * effect there, and we keep that meaning rather than silently narrowing TLS 1.3.
 */
export const CIPHER_SUITES: Readonly<Record<string, string | undefined>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: undefined,
  TLS_AES_256_GCM_SHA384: undefined,
  TLS_CHACHA20_POLY1305_SHA256: undefined,
};

/** Go's curve names (exporter-toolkit's `curve_preferences`) mapped to OpenSSL group names. */
export const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/**
 * The only headers exporter-toolkit lets a web config add, with the values it accepts where the header is
 * an enumeration (compared exactly, as the toolkit does). Kept identical so one web config file means the
 * same thing for every exporter.
 */
export const ALLOWED_HEADERS: Readonly<Record<string, readonly string[] | undefined>> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

/** exporter-toolkit keys that exist upstream but that this exporter does not implement, and what to do instead. */
export const UNSUPPORTED_TOOLKIT_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '': {
    rate_limit: 'rate limiting is not implemented by this exporter; remove the key',
  },
  tls_server_config: {
    cert: 'inline certificates are not supported; put the PEM in a file and use cert_file (it is watched and reloaded)',
    key: 'inline keys are not supported; put the PEM in a file and use key_file (it is watched and reloaded)',
    client_ca: 'inline CAs are not supported; put the PEM in a file and use client_ca_file',
    client_allowed_sans:
      'SAN allow-lists are not supported; issue client certificates from a dedicated CA and use RequireAndVerifyClientCert with it',
  },
};

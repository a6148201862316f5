import { z } from 'zod';
import { CLIENT_AUTH_TYPES } from './types.js';
import { CIPHER_SUITES, CURVES, TLS_VERSIONS } from './toolkit-names.js';

/** exporter-toolkit still accepts this pre-1.0 spelling of RequireAnyClientCert. */
export const LEGACY_CLIENT_AUTH_ALIASES: Readonly<Record<string, (typeof CLIENT_AUTH_TYPES)[number]>> = {
  RequireClientCert: 'RequireAnyClientCert',
};

const oneOf = (names: readonly string[], what: string) =>
  z.string({ error: `must be a string: one of ${names.join(', ')}` }).refine((v) => names.includes(v), {
    error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)}; expected one of ${names.join(', ')}`,
  });

const path = z.string({ error: 'must be a file path (string)' });

const tlsServerConfig = z.strictObject({
  cert_file: path.optional(),
  key_file: path.optional(),
  client_auth_type: oneOf(
    [...CLIENT_AUTH_TYPES, ...Object.keys(LEGACY_CLIENT_AUTH_ALIASES)],
    'client_auth_type',
  ).optional(),
  client_ca_file: path.optional(),
  min_version: oneOf(Object.keys(TLS_VERSIONS), 'TLS version').optional(),
  max_version: oneOf(Object.keys(TLS_VERSIONS), 'TLS version').optional(),
  cipher_suites: z.array(oneOf(Object.keys(CIPHER_SUITES), 'cipher suite')).nullish(),
  curve_preferences: z.array(oneOf(Object.keys(CURVES), 'curve')).nullish(),
  prefer_server_cipher_suites: z.boolean({ error: 'must be true or false' }).optional(),
});

// Go's YAML decoder hands `X-XSS-Protection: 0` to a string field as "0"; accept the same files.
const headerValue = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z.string({ error: 'must be a string' }).nullable(),
);

const httpServerConfig = z.strictObject({
  http2: z.boolean({ error: 'must be true or false' }).optional(),
  // Header names and values are checked afterwards, so each bad header gets its own positioned issue.
  headers: z.record(z.string(), headerValue).nullish(),
});

/** Shape only; semantic rules (allowed headers, bcrypt hashes, required pairs) live in validate.ts. */
export const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerConfig.nullish(),
  http_server_config: httpServerConfig.nullish(),
  basic_auth_users: z.record(z.string(), z.string({ error: 'must be a bcrypt hash (string)' })).nullish(),
});

export type RawWebConfig = z.infer<typeof webConfigSchema>;
export type RawTlsServerConfig = NonNullable<RawWebConfig['tls_server_config']>;

import { isIP } from 'node:net';
import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { isLoopbackHost, normalizeEmUrl } from './em-url.js';
import { namePatternError } from './name-pattern.js';
import { formatKeyPath, isPlainObject, type PathIssue } from './path.js';
import { toKeyPath, withRole } from './schema-keys.js';

/**
 * zod error functions worded for someone editing YAML. Input values are never echoed: a mistyped
 * password (say, an unquoted number) must not end up in a log line.
 */

function describeInput(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  switch (typeof input) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(input) ? 'a number' : 'a fractional number';
    case 'boolean':
      return 'true/false';
    case 'object':
      return 'a mapping';
    default:
      return typeof input;
  }
}

function hintFor(expected: string, input: unknown): string {
  if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    return '; quote the value so YAML reads it as text';
  }
  if ((expected === 'int' || expected === 'number') && typeof input === 'string' && /^-?\d+$/.test(input)) {
    return '; remove the quotes';
  }
  return '';
}

/**
 * Error function for a schema whose valid values are described by `noun`, e.g. `a duration such
 * as 30s`. Missing keys say "is required"; wrong types say what was found instead.
 */
function expecting(noun: string, hints: { forNumber?: string } = {}): z.core.$ZodErrorMap {
  return (issue) => {
    if (issue.code === 'invalid_type') {
      if (issue.input === undefined) return 'is required';
      const hint =
        typeof issue.input === 'number' && hints.forNumber !== undefined
          ? `; ${hints.forNumber}`
          : hintFor(issue.expected, issue.input);
      return `expected ${noun}, got ${describeInput(issue.input)}${hint}`;
    }
    if (issue.code === 'invalid_value') return `must be ${noun}`;
    return undefined;
  };
}

/**
 * A finding that does not fail the config, raised where its rule lives. It travels up as an issue so
 * that zod prefixes its key path as it does an error's; the root takes it out of the issue list
 * (see takeWarnings) before it could fail the parse.
 */
function warn(ctx: z.core.$RefinementCtx, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: { warning: true }, continue: true });
}

function isWarning(issue: z.core.$ZodRawIssue): boolean {
  return issue.code === 'custom' && issue.params?.warning === true;
}

/**
 * Normalised values that a rule across list entries compares. Such a rule runs although an entry may
 * have failed, and sees a failed value as the raw YAML, which never holds a class instance:
 * `instanceof` tells a normalised value apart.
 */
class ListedBackup {
  constructor(
    /** Bare lower-case GUID. */
    readonly id: string,
    readonly rpoMs: number | undefined,
    /** Written as a bare GUID rather than as a mapping with `id`: an issue about the ID points at the entry itself. */
    readonly bare: boolean,
  ) {}
}

class EmUrl {
  constructor(
    /** Without trailing slash and without /api. */
    readonly url: string,
    /** Without the brackets of an IPv6 literal. */
    readonly hostname: string,
  ) {}
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const URN_PREFIX_RE = /^urn:veeam:Backup:/i;

/** Bare lower-case GUID for a backup ID as written in the config (bare or `urn:veeam:Backup:` form). */
function normalizeBackupId(text: string): string | undefined {
  const bare = text.replace(URN_PREFIX_RE, '');
  return GUID_RE.test(bare) ? bare.toLowerCase() : undefined;
}

const BACKUP_ID_HINT = 'expected a backup GUID such as 0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3 or urn:veeam:Backup:<GUID>';

const FIELD_NAMES: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};

const CRON_HINT =
  'use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "*/5 * * * *"';

/** Why node-cron would refuse the schedule, or undefined when it accepts it. */
function cronScheduleError(schedule: string): string | undefined {
  let problems: string[];
  try {
    const result = validateDetailed(schedule);
    if (result.valid) return undefined;
    problems = result.errors.map((error) => {
      const field = FIELD_NAMES[error.field];
      // node-cron words field errors as "<value> is a invalid expression for <field>"; say it plainly.
      if (field !== undefined && error.message.includes('invalid expression'))
        return `"${error.value ?? ''}" is not valid in the ${field} field`;
      return error.message;
    });
  } catch (error) {
    problems = [error instanceof Error ? error.message : String(error)];
  }
  return `not a valid cron schedule: ${problems.join('; ')}; ${CRON_HINT}`;
}

/** The defaults the README's Configuration section documents, in the units ExporterConfig uses. */
export const DEFAULTS = {
  schedule: '*/5 * * * *',
  concurrency: 4,
  timeoutMs: 30_000,
  retries: 2,
  metadataRefreshMs: 60 * 60_000,
  rpoMs: 26 * 60 * 60_000,
  apiVersion: 'latest',
  format: 'xml',
  restorePoints: 'entity',
  vmLimit: 50_000,
  vmOverlapMs: 60 * 60_000,
  vmResyncMs: 6 * 60 * 60_000,
} as const;

const DURATION = 'a duration such as 30s, 5m or 26h';

const positiveDurationMs = z
  .string({ error: expecting(DURATION, { forNumber: 'add a unit, e.g. 30s' }) })
  .transform((text, ctx) => {
    try {
      const ms = parseDuration(text);
      if (ms > 0) return ms;
      ctx.issues.push({ code: 'custom', message: 'must be longer than 0', input: text });
    } catch (error) {
      ctx.issues.push({ code: 'custom', message: (error as Error).message, input: text });
    }
    return z.NEVER;
  });

/**
 * Byte sizes as Prometheus writes them (`body_size_limit`): an integer and a unit, every unit a power
 * of 1024 whether written KB or KiB, e.g. `512KiB`, `32MiB`, `1GB`.
 */
const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  KiB: 1024,
  MB: 1024 ** 2,
  MiB: 1024 ** 2,
  GB: 1024 ** 3,
  GiB: 1024 ** 3,
};

const SIZE_RE = /^(\d+)(B|KB|KiB|MB|MiB|GB|GiB)$/;
const SIZE_HINT = 'use an integer and a unit (B, KiB, MiB, GiB; KB, MB, GB mean the same), e.g. 32MiB';

/** Bytes for a size such as `32MiB`; throws an Error with a fix-it hint otherwise. */
export function parseByteSize(text: string): number {
  const match = SIZE_RE.exec(text.trim());
  if (match === null) throw new Error(`not a valid size "${text}": ${SIZE_HINT}`);
  const bytes = Number(match[1]) * SIZE_UNITS[match[2]!]!;
  if (!Number.isSafeInteger(bytes)) throw new Error(`size "${text}" is too large`);
  return bytes;
}

/** Answers larger than this would be refused before any parse; below 1 KiB not even an error body fits. */
const MIN_RESPONSE_BYTES = 1024;

const responseSize = z.string({ error: expecting('a size such as 32MiB') }).transform((text, ctx) => {
  try {
    const bytes = parseByteSize(text);
    if (bytes >= MIN_RESPONSE_BYTES) return bytes;
    ctx.issues.push({ code: 'custom', message: 'must be at least 1KiB', input: text });
  } catch (error) {
    ctx.issues.push({ code: 'custom', message: (error as Error).message, input: text });
  }
  return z.NEVER;
});

const nonEmptyString = z.string({ error: expecting('a string') }).min(1, 'must not be empty');

function integerFromTo(min: number, max: number) {
  const range = `an integer from ${min} to ${max}`;
  return z
    .int({ error: expecting(range) })
    .min(min, `must be ${range}`)
    .max(max, `must be ${range}`);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: expecting(values.join(' or ')) });
}

const cronSchedule = z
  .string({ error: expecting('a cron schedule such as "*/5 * * * *"') })
  .superRefine((text, ctx) => {
    const error = cronScheduleError(text);
    if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
  });

const backupId = z.string({ error: expecting(BACKUP_ID_HINT) }).transform((text, ctx) => {
  const id = normalizeBackupId(text);
  if (id !== undefined) return id;
  ctx.issues.push({ code: 'custom', message: `not a GUID: ${BACKUP_ID_HINT}`, input: text });
  return z.NEVER;
});

const emUrl = z
  .string({ error: expecting('an https:// URL') })
  .transform((text, ctx) => {
    const result = normalizeEmUrl(text);
    if (result.ok) return new EmUrl(result.url, result.hostname);
    ctx.issues.push({ code: 'custom', message: result.error, input: text });
    return z.NEVER;
  })
  .superRefine((url, ctx) => {
    if (url.url.startsWith('http:') && !isLoopbackHost(url.hostname)) {
      warn(ctx, 'plain http: the password and the session ID cross the network unencrypted; use https://');
    }
  });

const mapping = expecting('a mapping');

const backupEntry = z.union(
  [
    backupId.transform((id) => new ListedBackup(id, undefined, true)),
    z
      .strictObject({ id: backupId, rpo: positiveDurationMs.optional() }, { error: mapping })
      .transform(({ id, rpo }) => new ListedBackup(id, rpo, false)),
  ],
  { error: 'expected a backup GUID, or a mapping with id and an optional rpo' },
);

const regularExpression = z.string({ error: expecting('a regular expression in quotes') }).superRefine((text, ctx) => {
  const error = namePatternError(text);
  if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
});

const discoverSection = z.strictObject(
  {
    include: regularExpression.default('.*'),
    exclude: regularExpression.optional(),
    rpo: positiveDurationMs.optional(),
  },
  { error: mapping },
);

const vmsSection = z.strictObject(
  {
    include: regularExpression.default('.*'),
    exclude: regularExpression.optional(),
    limit: integerFromTo(1, 10_000_000).default(DEFAULTS.vmLimit),
    overlap: positiveDurationMs.default(DEFAULTS.vmOverlapMs),
    resync: positiveDurationMs.default(DEFAULTS.vmResyncMs),
  },
  { error: mapping },
);

/**
 * TLS sends the server name in the clear as SNI, which may not be an IP address (RFC 6066); Node would
 * send nothing and print a deprecation warning at every connection. Caught here, with the way out.
 */
const serverName = nonEmptyString.superRefine((text, ctx) => {
  if (isIP(text.replace(/^\[(.*)\]$/, '$1')) === 0) return;
  ctx.addIssue({
    code: 'custom',
    message: `${text} is an IP address, which TLS cannot send as a server name (SNI, RFC 6066); to check the certificate against an IP, put the IP in url and leave serverName out (the certificate must list that IP as a subject alternative name)`,
  });
});

const tlsSection = z.strictObject(
  {
    caFile: withRole(nonEmptyString, { file: 'caFile' }).optional(),
    insecureSkipVerify: z
      .boolean({ error: expecting('true or false') })
      .superRefine((skip, ctx) => {
        if (skip)
          warn(
            ctx,
            'TLS certificate verification is off for this Enterprise Manager: anyone on the path can read its credentials; set tls.caFile to its CA instead',
          );
      })
      .default(false),
    serverName: serverName.optional(),
  },
  { error: mapping },
);

const enterpriseManager = z
  .strictObject(
    {
      name: nonEmptyString.optional(),
      url: emUrl,
      username: nonEmptyString,
      password: withRole(nonEmptyString, { secret: true }).optional(),
      passwordFile: withRole(nonEmptyString, { file: 'passwordFile' }).optional(),
      apiVersion: nonEmptyString.default(DEFAULTS.apiVersion),
      format: oneOf(['xml', 'json']).default(DEFAULTS.format),
      restorePoints: oneOf(['entity', 'reference', 'query']).default(DEFAULTS.restorePoints),
      tls: tlsSection.nullish(),
      // At least one backup, or discover: checked below, where both keys are in sight.
      backups: z.array(backupEntry, { error: expecting('a list of backup GUIDs') }).optional(),
      // An empty `discover:` (YAML null) discovers with every default, as `discover: {}` does.
      discover: discoverSection.nullish(),
      // Per-machine freshness; an empty `vms:` (YAML null) turns it on with every default.
      vms: vmsSection.nullish(),
    },
    { error: mapping },
  )
  .superRefine(
    (em, ctx) => {
      // Runs even when a key of this EM failed, so these rules are reported with every shape error.
      if (!isPlainObject(em)) return;
      const hasPassword = em.password !== undefined;
      const hasFile = em.passwordFile !== undefined;
      if (hasPassword && hasFile) {
        ctx.addIssue({
          code: 'custom',
          path: ['passwordFile'],
          message: 'set only one of password and passwordFile',
          params: { atKey: true, relatesKeys: true },
        });
      } else if (!hasPassword && !hasFile) {
        ctx.addIssue({
          code: 'custom',
          message: 'one of password or passwordFile is required',
          params: { relatesKeys: true },
        });
      }
      // Something to poll: at least one backup, unless discover finds them.
      if (Object.hasOwn(em, 'discover')) return;
      if (em.backups === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['backups'],
          message: 'is required: list the backups to watch, or add discover: to poll every backup EM lists',
          params: { relatesKeys: true },
        });
      } else if (Array.isArray(em.backups) && em.backups.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['backups'],
          message: 'list at least one backup, or add discover: to poll every backup EM lists',
          params: { relatesKeys: true },
        });
      }
    },
    { when: () => true },
  );

/**
 * Rules across the entries of enterpriseManagers: the em label of each EM, and each backup within one
 * EM, are distinct. They sit on this list because their messages name the entry first holding the
 * value by its full key path. They run even when an entry failed, so they are reported with every
 * shape error; a value that failed its own check takes no part (but see idOfFailedMapping).
 */
function checkDistinct(ems: readonly unknown[], ctx: z.core.$RefinementCtx): void {
  const firstWithName = new Map<string, number>();
  ems.forEach((em, i) => {
    if (!isPlainObject(em)) return;
    if (Array.isArray(em.backups)) checkDistinctBackups(em.backups, i, ctx);
    // A name that failed its own check is still raw: not a string, or empty.
    const explicit = typeof em.name === 'string' && em.name !== '';
    const name = explicit ? (em.name as string) : em.url instanceof EmUrl ? em.url.hostname : undefined;
    if (name === undefined) return;
    const first = firstWithName.get(name);
    if (first === undefined) {
      firstWithName.set(name, i);
      return;
    }
    const clash = `duplicate Enterprise Manager name "${name}": enterpriseManagers[${first}] has it too, and the name is the em label`;
    if (explicit) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: clash, params: { relatesKeys: true } });
    else
      ctx.addIssue({
        code: 'custom',
        path: [i, 'url'],
        message: `${clash}; set a distinct name`,
        params: { relatesKeys: true },
      });
  });
}

function checkDistinctBackups(backups: readonly unknown[], emIndex: number, ctx: z.core.$RefinementCtx): void {
  const firstIndex = new Map<string, number>();
  backups.forEach((backup, j) => {
    const listed = backup instanceof ListedBackup ? backup : idOfFailedMapping(backup);
    if (listed === undefined) return;
    const first = firstIndex.get(listed.id);
    if (first === undefined) {
      firstIndex.set(listed.id, j);
      return;
    }
    const at = ['enterpriseManagers', emIndex, 'backups'] as const;
    ctx.addIssue({
      code: 'custom',
      path: listed.bare ? [emIndex, 'backups', j] : [emIndex, 'backups', j, 'id'],
      message: `duplicate backup ${listed.id}: already listed at ${formatKeyPath([...at, first])}`,
      params: { relatesKeys: true },
    });
  });
}

/**
 * A mapping entry whose id is valid but whose rpo is not is still raw YAML here. Its ID, read through
 * the same schema, still counts, so that a duplicate is reported together with the rpo error. A bare
 * entry that failed is an invalid ID, so it has none.
 */
function idOfFailedMapping(entry: unknown): { id: string; bare: false } | undefined {
  if (!isPlainObject(entry)) return undefined;
  const id = backupId.safeParse(entry.id);
  return id.success ? { id: id.data, bare: false } : undefined;
}

const pollSection = z.strictObject(
  {
    schedule: cronSchedule.default(DEFAULTS.schedule),
    concurrency: integerFromTo(1, 64).default(DEFAULTS.concurrency),
    timeout: positiveDurationMs.default(DEFAULTS.timeoutMs),
    retries: integerFromTo(0, 10).default(DEFAULTS.retries),
    metadataRefresh: positiveDurationMs.default(DEFAULTS.metadataRefreshMs),
    maxResponseSize: responseSize.optional(),
    cycleTimeout: positiveDurationMs.optional(),
  },
  { error: mapping },
);

const defaultsSection = z.strictObject({ rpo: positiveDurationMs.default(DEFAULTS.rpoMs) }, { error: mapping });

type EmInput = z.output<typeof enterpriseManager>;

/** One EM as the rest of the program sees it; its type is EmConfig. */
function toEmConfig(em: EmInput, defaultRpoMs: number) {
  const discover = em.discover === undefined ? undefined : (em.discover ?? discoverSection.parse({}));
  const vms = em.vms === undefined ? undefined : (em.vms ?? vmsSection.parse({}));
  return {
    /** `em` label; defaults to the URL host. */
    name: em.name ?? em.url.hostname,
    /** Base URL without trailing slash and without /api. */
    url: em.url.url,
    username: em.username,
    /** Exactly one of password / passwordFile is set. `${VAR}` is already expanded. */
    ...(em.password !== undefined ? { password: em.password } : {}),
    /** Resolved against the config file's directory. */
    ...(em.passwordFile !== undefined ? { passwordFile: em.passwordFile } : {}),
    apiVersion: em.apiVersion,
    format: em.format,
    /** entity: per backup, BackupDateUTC | reference: per backup, parse Ref Name | query: many backups per request via the query service. */
    restorePoints: em.restorePoints,
    tls: {
      ...(em.tls?.caFile !== undefined ? { caFile: em.tls.caFile } : {}),
      insecureSkipVerify: em.tls?.insecureSkipVerify ?? false,
      ...(em.tls?.serverName !== undefined ? { serverName: em.tls.serverName } : {}),
    },
    /** Configured backups; may be empty when `discover` is set. */
    backups: (em.backups ?? []).map((backup) => ({
      /** Bare lower-case GUID (a `urn:veeam:Backup:` prefix in the file is stripped). */
      id: backup.id,
      rpoSeconds: (backup.rpoMs ?? defaultRpoMs) / 1000,
    })),
    /** `discover`: poll every backup EM lists whose name matches, re-listed every `metadataRefresh`. */
    ...(discover !== undefined
      ? {
          discover: {
            /** JavaScript regular expression (unanchored) a backup name must match; default `.*`. */
            include: discover.include,
            /** Backups whose name matches this are left out. */
            ...(discover.exclude !== undefined ? { exclude: discover.exclude } : {}),
            /** RPO of discovered backups (`discover.rpo`, else `defaults.rpo`); a backup also listed in `backups` keeps its own. */
            rpoSeconds: (discover.rpo ?? defaultRpoMs) / 1000,
          },
        }
      : {}),
    /** `vms`: per-machine freshness of this EM's polled backups, read incrementally through the query service. */
    ...(vms !== undefined
      ? {
          vms: {
            /** JavaScript regular expression (unanchored) a VM name must match; default `.*`. */
            include: vms.include,
            /** VMs whose name matches this are left out. */
            ...(vms.exclude !== undefined ? { exclude: vms.exclude } : {}),
            /** Most VM series this EM may export; the rest are dropped and counted. */
            limit: vms.limit,
            /** How far before the start of the last successful read an incremental read starts: covers points that reach EM late. */
            overlapMs: vms.overlap,
            /** How often every VM point is read again. */
            resyncMs: vms.resync,
          },
        }
      : {}),
  };
}

/** Warnings by the root value they were taken from, for the root transform to hand over with the config. */
const warningsOfRoot = new WeakMap<object, PathIssue[]>();

/** Moves every warning out of the issue list, so that warnings alone do not fail the parse. */
function takeWarnings(root: unknown, ctx: z.core.$RefinementCtx): void {
  const warnings: PathIssue[] = [];
  let kept = 0;
  for (const issue of ctx.issues) {
    if (isWarning(issue)) warnings.push({ path: toKeyPath(issue.path ?? []), message: issue.message ?? '' });
    else ctx.issues[kept++] = issue;
  }
  ctx.issues.length = kept;
  if (isPlainObject(root)) warningsOfRoot.set(root, warnings);
}

/**
 * Shape and value checks of one config document, each rule beside the keys it relates. The output is
 * the config the program sees and the warnings the rules raised.
 */
export const configSchema = z
  .strictObject(
    {
      // An empty `poll:` or `defaults:` section (YAML null) means "all defaults", as if absent.
      poll: pollSection.nullish(),
      defaults: defaultsSection.nullish(),
      enterpriseManagers: z
        .array(enterpriseManager, { error: expecting('a list of Enterprise Managers') })
        .min(1, 'list at least one Enterprise Manager')
        .superRefine(checkDistinct, { when: (payload) => Array.isArray(payload.value) }),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type' && (issue.input === null || issue.input === undefined)
          ? 'the config is empty: it needs at least enterpriseManagers'
          : mapping(issue),
    },
  )
  .superRefine(takeWarnings, { when: () => true })
  .transform((raw) => {
    const poll = raw.poll ?? pollSection.parse({});
    const defaultRpoMs = raw.defaults?.rpo ?? DEFAULTS.rpoMs;
    const config = {
      poll: {
        schedule: poll.schedule,
        concurrency: poll.concurrency,
        timeoutMs: poll.timeout,
        retries: poll.retries,
        metadataRefreshMs: poll.metadataRefresh,
        /** `poll.maxResponseSize`: larger answers from EM are refused unread; absent = the client's default (32 MiB). */
        ...(poll.maxResponseSize !== undefined ? { maxResponseBytes: poll.maxResponseSize } : {}),
        /** `poll.cycleTimeout`: a cycle still running after this long ends, unfinished polls failing as `timeout`; absent = the schedule interval. */
        ...(poll.cycleTimeout !== undefined ? { cycleTimeoutMs: poll.cycleTimeout } : {}),
      },
      defaults: { rpoSeconds: defaultRpoMs / 1000 },
      enterpriseManagers: raw.enterpriseManagers.map((em) => toEmConfig(em, defaultRpoMs)),
    };
    return { config, warnings: warningsOfRoot.get(raw) ?? [] };
  });

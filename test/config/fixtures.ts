import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
export const GOOD = `${FIXTURES}good/`;
export const BAD = `${FIXTURES}bad/`;

/** The environment every fixture is loaded with; `${VEEAM_EM_PASSWORD_UNSET}` is deliberately absent. */
export const FIXTURE_ENV = { VEEAM_EM_PASSWORD: 'fixture-password' } as const;

import { readFileSync } from 'node:fs';

const dir = new URL('../fixtures/em/', import.meta.url);

/** A captured-shape EM body from test/fixtures/em. */
export function fixture(name: string): string {
  return readFileSync(new URL(name, dir), 'utf8');
}

export const XML = 'application/xml; charset=utf-8';
export const JSON_CT = 'application/json; charset=utf-8';

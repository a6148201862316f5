import { inspect } from 'node:util';

const REDACTED = '<redacted>';

/**
 * Holds key material or a password hash so that logging or serialising a config object by accident
 * (pino, JSON.stringify, console.log, vitest diffs) never prints it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

import { validateDetailed } from 'node-cron';

const FIELD_NAMES: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};

const HINT = 'use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "*/5 * * * *"';

/** Why node-cron would refuse the schedule, or undefined when it accepts it. */
export function cronScheduleError(schedule: string): string | undefined {
  let problems: string[];
  try {
    const result = validateDetailed(schedule);
    if (result.valid) return undefined;
    problems = result.errors.map((error) => {
      const field = FIELD_NAMES[error.field];
      // node-cron words field errors as "<value> is a invalid expression for <field>"; say it plainly.
      if (field !== undefined && error.message.includes('invalid expression')) return `"${error.value ?? ''}" is not valid in the ${field} field`;
      return error.message;
    });
  } catch (error) {
    problems = [error instanceof Error ? error.message : String(error)];
  }
  return `not a valid cron schedule: ${problems.join('; ')}; ${HINT}`;
}

import { FLAG_SPECS, type FlagSpec } from './flag-specs.js';

const WIDTH = 100;
const HELP_COLUMN = 32;

function flagColumn(spec: FlagSpec): string {
  const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
  let text = `  ${short}--${spec.name}`;
  if (spec.type === 'string')
    text += spec.default === undefined ? `=${spec.placeholder ?? 'VALUE'}` : `=${JSON.stringify(spec.default)}`;
  return text;
}

function helpLines(spec: FlagSpec): string[] {
  const text = spec.choices === undefined ? spec.help : `${spec.help} One of: [${spec.choices.join(', ')}]`;
  const lines: string[] = [];
  let line = '';
  // A bracketed list such as [debug, info, warn, error] stays on one line.
  for (const word of text.match(/\[[^\]]*\]|\S+/g) ?? []) {
    if (line !== '' && HELP_COLUMN + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** Prometheus (kingpin) style: flag and default on the left, wrapped meaning on the right. */
export function renderHelp(program: string, description: string): string {
  const out = [`usage: ${program} [<flags>]`, '', description, '', 'Flags:'];
  for (const spec of FLAG_SPECS) {
    const left = flagColumn(spec);
    const [first = '', ...rest] = helpLines(spec);
    const indent = ' '.repeat(HELP_COLUMN);
    if (left.length < HELP_COLUMN) out.push(left.padEnd(HELP_COLUMN) + first);
    else out.push(left, indent + first);
    for (const line of rest) out.push(indent + line);
  }
  return `${out.join('\n')}\n`;
}

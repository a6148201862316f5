/** A strict reader of the Prometheus text format, so tests assert on values and labels, not on substrings. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

export function parseExposition(text: string): Exposition {
  const result: Exposition = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      (kind === 'HELP' ? result.help : result.type).set(name, kind === 'HELP' ? unescapeHelp(rest) : rest);
      continue;
    }
    if (line.startsWith('#')) continue;
    result.samples.push(parseSample(line));
  }
  return result;
}

function parseSample(line: string): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new Error(`bad sample line: ${line}`);
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!labelName || line[i + labelName[0].length] !== '=' || line[i + labelName[0].length + 1] !== '"') {
        throw new Error(`bad label at ${i}: ${line}`);
      }
      i += labelName[0].length + 2;
      let value = '';
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error(`unterminated label value: ${line}`);
        if (line[i] === '\\') {
          const next = line.charAt(i + 1);
          value += next === 'n' ? '\n' : next;
          i += 2;
        } else {
          value += line.charAt(i);
          i++;
        }
      }
      labels[labelName[0]] = value;
      i++;
      if (line[i] === ',') i++;
    }
    i++;
  }
  const [valueText] = line.slice(i).trim().split(' ');
  const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
  // prom-client writes `Nan`; Prometheus parses NaN case-insensitively.
  if (valueText === undefined || (Number.isNaN(value) && valueText.toLowerCase() !== 'nan'))
    throw new Error(`bad value: ${line}`);
  return { name, labels, value };
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

export function samplesOf(exposition: Exposition, name: string): Sample[] {
  return exposition.samples.filter((s) => s.name === name);
}

/** The single sample of `name` whose labels include `labels`; fails loudly when there are none or several. */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches = samplesOf(exposition, name).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}

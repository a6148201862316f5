/** A log destination that keeps what it is given. */
export function captureLines(): {
  write(text: string): void;
  text(): string;
  records(): Array<Record<string, unknown>>;
} {
  let written = '';
  return {
    write(text) {
      written += text;
    },
    text: () => written,
    records: () =>
      written
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

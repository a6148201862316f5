/** Whether an `Accept-Encoding` header admits gzip (`gzip`, `x-gzip` or `*`, without `q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  let gzip: boolean | undefined;
  let wildcard = false;
  for (const entry of header.split(',')) {
    const [coding = '', ...params] = entry.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const allowed = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') gzip = allowed;
    else if (coding === '*') wildcard = allowed;
  }
  return gzip ?? wildcard;
}

/** Minimal typed clients for the Prometheus HTTP API (v1) and the Alertmanager API (v2). */

export type Labels = Record<string, string>;

export interface InstantSample {
  metric: Labels;
  value: [number, string];
}

export interface RangeSeries {
  metric: Labels;
  values: Array<[number, string]>;
}

export interface PromAlert {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

export interface PromRule {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  duration?: number;
  keepFiringFor?: number;
  health: string;
  lastError?: string;
  alerts?: PromAlert[];
}

export interface AmAlert {
  labels: Labels;
  annotations: Labels;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  startsAt: string;
  endsAt: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

async function getJson(url: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${response.status}: ${text.slice(0, 2_000)}`);
  return JSON.parse(text) as unknown;
}

export class PrometheusApi {
  constructor(readonly base: string) {}

  private async api<T>(path: string, params?: Record<string, string>): Promise<T> {
    const init: RequestInit = params === undefined ? {} : { method: 'POST', body: new URLSearchParams(params) };
    const body = (await getJson(`${this.base}${path}`, init)) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? JSON.stringify(body)}`);
    return body.data;
  }

  async query(expr: string): Promise<InstantSample[]> {
    const data = await this.api<{ resultType: string; result: InstantSample[] | [number, string] }>('/api/v1/query', {
      query: expr,
    });
    // A scalar expression answers with one bare value; present it as one sample without labels.
    return data.resultType === 'vector'
      ? (data.result as InstantSample[])
      : [{ metric: {}, value: data.result as [number, string] }];
  }

  async queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<RangeSeries[]> {
    const data = await this.api<{ result: RangeSeries[] }>('/api/v1/query_range', {
      query: expr,
      start: String(startS),
      end: String(endS),
      step: String(stepS),
    });
    return data.result;
  }

  async alerts(): Promise<PromAlert[]> {
    return (await this.api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
  }

  async alertingRules(): Promise<PromRule[]> {
    const data = await this.api<{ groups: Array<{ name: string; rules: PromRule[] }> }>('/api/v1/rules?type=alert');
    return data.groups.flatMap((g) => g.rules);
  }

  async ready(): Promise<boolean> {
    const response = await fetch(`${this.base}/-/ready`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return response.status === 200;
  }
}

export class AlertmanagerApi {
  constructor(readonly base: string) {}

  async alerts(): Promise<AmAlert[]> {
    return (await getJson(`${this.base}/api/v2/alerts`)) as AmAlert[];
  }

  async ready(): Promise<boolean> {
    const response = await fetch(`${this.base}/-/ready`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return response.status === 200;
  }
}

import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterFamily, HistogramFamily } from '../../src/metrics/counters.js';

describe('the poll counters and the API histogram', () => {
  it('write a counter whole: header, then each series in the order it first appeared', () => {
    const counter = new CounterFamily('x_errors_total', ['em', 'reason']);
    counter.inc(['em02', 'auth'], 0);
    counter.inc(['em01', 'tls']);
    counter.inc(['em02', 'auth'], 2);
    counter.inc(['em "1"\\\n', 'tls']);
    expect(counter.render('Errors of the poll (schedule "*/5 * * * *").\nSecond line\\')).toBe(
      [
        '# HELP x_errors_total Errors of the poll (schedule "*/5 * * * *").\\nSecond line\\\\',
        '# TYPE x_errors_total counter',
        'x_errors_total{em="em02",reason="auth"} 2',
        'x_errors_total{em="em01",reason="tls"} 1',
        'x_errors_total{em="em \\"1\\"\\\\\\n",reason="tls"} 1',
        '',
      ].join('\n'),
    );
  });

  it('write a histogram whole: cumulative buckets with le first, +Inf, sum and count', () => {
    const histogram = new HistogramFamily('x_seconds', ['em'], [0.1, 1]);
    histogram.observe(['em01'], 0.1);
    histogram.observe(['em01'], 0.5);
    histogram.observe(['em01'], 7);
    expect(histogram.render('Durations.')).toBe(
      [
        '# HELP x_seconds Durations.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{le="0.1",em="em01"} 1',
        'x_seconds_bucket{le="1",em="em01"} 2',
        'x_seconds_bucket{le="+Inf",em="em01"} 3',
        'x_seconds_sum{em="em01"} 7.6',
        'x_seconds_count{em="em01"} 3',
        '',
      ].join('\n'),
    );
  });

  it('drop every series of an EM at once', () => {
    const counter = new CounterFamily('x_total', ['em', 'code']);
    const histogram = new HistogramFamily('x_seconds', ['em'], [1]);
    for (const em of ['em0', 'em01', 'em1']) {
      counter.inc([em, '200']);
      histogram.observe([em], 0.5);
    }
    counter.removeWhereFirst('em0');
    histogram.removeWhereFirst('em0');
    expect(counter.render('h')).toBe(
      '# HELP x_total h\n# TYPE x_total counter\nx_total{em="em01",code="200"} 1\nx_total{em="em1",code="200"} 1\n',
    );
    expect(histogram.render('h')).not.toContain('em="em0"');
    expect(histogram.render('h')).toContain('em="em01"');
  });

  it('write what prom-client writes for the same observations', async () => {
    const registry = new Registry();
    const theirs = {
      counter: new Counter({
        name: 'x_requests_total',
        help: 'Requests "q" \\ x',
        labelNames: ['em', 'endpoint', 'code'],
        registers: [registry],
      }),
      histogram: new Histogram({
        name: 'x_duration_seconds',
        help: 'Durations.',
        labelNames: ['em', 'endpoint'],
        buckets: [0.01, 0.25, 1, 30],
        registers: [registry],
      }),
    };
    const ours = {
      counter: new CounterFamily('x_requests_total', ['em', 'endpoint', 'code']),
      histogram: new HistogramFamily('x_duration_seconds', ['em', 'endpoint'], [0.01, 0.25, 1, 30]),
    };
    const observations: Array<[string, string, string, number]> = [
      ['em01', 'login', '201', 0.004],
      ['em01', 'backup', '200', 0.3],
      ['em "2"', 'backup', 'error', 31],
      ['em01', 'backup', '200', 0.25],
      ['em01', 'login', '201', 1],
    ];
    for (const [em, endpoint, code, seconds] of observations) {
      theirs.counter.inc({ em, endpoint, code });
      theirs.histogram.observe({ em, endpoint }, seconds);
      ours.counter.inc([em, endpoint, code]);
      ours.histogram.observe([em, endpoint], seconds);
    }
    expect(`${ours.counter.render('Requests "q" \\ x')}\n${ours.histogram.render('Durations.')}`).toBe(
      await registry.metrics(),
    );
  });
});

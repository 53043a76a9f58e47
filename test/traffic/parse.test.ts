import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ScenarioValidationError } from '../../src/scenario/load.ts';
import { parseText } from '../../src/scenario/load.ts';
import type { ArrivalSpec } from '../../src/traffic/arrivals/types.ts';
import { DEFAULT_MIX } from '../../src/traffic/mix.ts';
import { toTrafficSpec, trafficSchema } from '../../src/traffic/parse.ts';
import type { TrafficSpec } from '../../src/traffic/source.ts';

// The way the scenario loader will host the section.
const fileSchema = z.looseObject({ traffic: trafficSchema });

function parse(yaml: string, baseDir?: string): TrafficSpec {
  const { traffic } = parseText('scenario.yaml', yaml, fileSchema);
  return toTrafficSpec(traffic, baseDir ? { baseDir } : {});
}

function problems(yaml: string): ScenarioValidationError['problems'] {
  try {
    parseText('scenario.yaml', yaml, fileSchema);
  } catch (e) {
    expect(e).toMatchObject({ code: 'ERR_SQUALL_INVALID_CONFIG' });
    return (e as ScenarioValidationError).problems;
  }
  throw new Error('expected the section to be refused');
}

const arrivals = (yaml: string): ArrivalSpec => {
  const spec = parse(`traffic:\n  arrivals: ${yaml}\n`);
  if (spec.model !== 'open') throw new Error('expected open traffic');
  return spec.arrivals;
};

describe('traffic section → TrafficSpec', () => {
  it.each<[string, ArrivalSpec]>([
    ['{ kind: constant, rate: 2000/min }', { kind: 'constant', ratePerSec: 2000 / 60 }],
    ['{ kind: constant, rate: 5, poisson: true }', { kind: 'constant', ratePerSec: 5, poisson: true }],
    ['{ kind: poisson, rate: 30/s }', { kind: 'poisson', ratePerSec: 30 }],
    [
      '{ kind: ramping, start_rate: 10/s, stages: [{ duration: 5m, target: 100/s }, { duration: 1m, target: 0 }] }',
      {
        kind: 'ramping',
        startRatePerSec: 10,
        stages: [
          { durationMs: 300_000, targetRatePerSec: 100 },
          { durationMs: 60_000, targetRatePerSec: 0 },
        ],
      },
    ],
    [
      '{ kind: ramping-arrival-rate, stages: [{ duration: 30s, target: 60/min }] }',
      { kind: 'ramping', startRatePerSec: 0, stages: [{ durationMs: 30_000, targetRatePerSec: 1 }] },
    ],
    ['{ kind: constant-arrival-rate, rate: 1/s }', { kind: 'constant', ratePerSec: 1 }],
    [
      '{ kind: spike, base_rate: 10/s, spikes: [{ at: 10m, duration: 2m, rate: 500/s }] }',
      {
        kind: 'spike',
        baseRatePerSec: 10,
        spikes: [{ atMs: 600_000, durationMs: 120_000, ratePerSec: 500 }],
      },
    ],
    [
      '{ kind: daily, mean_rate: 100/min, amplitude: 60%, period: 24h, peak_at: 14h }',
      { kind: 'daily', meanRatePerSec: 100 / 60, amplitude: 0.6, periodMs: 86_400_000, peakAtMs: 50_400_000 },
    ],
    ['{ kind: burst, count: 500, at: 30s }', { kind: 'burst', count: 500, atMs: 30_000 }],
    ['{ kind: burst, count: 5 }', { kind: 'burst', count: 5, atMs: 0 }],
  ])('arrivals %s', (yaml, expected) => {
    expect(arrivals(yaml)).toEqual(expected);
  });

  it('an open section without a mix gets the default mix', () => {
    expect(parse('traffic:\n  arrivals: { kind: constant, rate: 1/s }\n')).toEqual({
      model: 'open',
      arrivals: { kind: 'constant', ratePerSec: 1 },
      mix: DEFAULT_MIX,
    });
  });

  it('a mix accepts maps, plain lists and { name, weight } lists, and shorthand sizes', () => {
    const spec = parse(`traffic:
  arrivals: { kind: constant, rate: 1/s }
  mix:
    models: { gpt-4o-mini: 3, gpt-4o: 1 }
    prompt_tokens: { kind: lognormal, median: 500, p99: 4000, max: 16000 }
    max_tokens: 512
    stream_fraction: 30%
    api_keys: [sk-a, { key: sk-b, weight: 2 }]
    users: { count: 1000, zipf: 1.1 }
    features: [{ name: search, weight: 3 }, { name: support }]
    endpoints: { chat.completions: 9, embeddings: 1 }
`);
    expect(spec).toEqual({
      model: 'open',
      arrivals: { kind: 'constant', ratePerSec: 1 },
      mix: {
        models: [
          { name: 'gpt-4o-mini', weight: 3 },
          { name: 'gpt-4o', weight: 1 },
        ],
        promptTokens: { kind: 'lognormal', median: 500, p99: 4000, max: 16000 },
        maxTokens: { kind: 'fixed', value: 512 },
        streamFraction: 0.3,
        apiKeys: [
          { key: 'sk-a', weight: 1 },
          { key: 'sk-b', weight: 2 },
        ],
        users: { count: 1000, zipf: 1.1 },
        features: [
          { name: 'search', weight: 3 },
          { name: 'support', weight: 1 },
        ],
        endpoints: [
          { name: 'chat.completions', weight: 9 },
          { name: 'embeddings', weight: 1 },
        ],
      },
    });
  });

  it('closed: virtual users with a think-time distribution in durations (default: no think time)', () => {
    expect(
      parse(
        'traffic:\n  model: closed\n  virtual_users: 50\n  think_time: { kind: uniform, min: 1s, max: 3s }\n',
      ),
    ).toEqual({
      model: 'closed',
      virtualUsers: 50,
      thinkTimeMs: { kind: 'uniform', min: 1000, max: 3000 },
      mix: DEFAULT_MIX,
    });
    expect(parse('traffic:\n  model: closed\n  virtual_users: 2\n')).toMatchObject({
      thinkTimeMs: { kind: 'fixed', value: 0 },
    });
    expect(parse('traffic:\n  model: closed\n  virtual_users: 2\n  think_time: 500ms\n')).toMatchObject({
      thinkTimeMs: { kind: 'fixed', value: 500 },
    });
  });

  it('trace: a relative file is resolved from the scenario folder', () => {
    expect(
      parse('traffic:\n  model: trace\n  file: traces/a.ndjson\n  time_scale: 2\n', '/work/scen'),
    ).toEqual({
      model: 'trace',
      file: join('/work/scen', 'traces/a.ndjson'),
      timeScale: 2,
    });
    expect(parse('traffic:\n  model: trace\n  file: /abs/a.csv\n', '/work/scen')).toEqual({
      model: 'trace',
      file: '/abs/a.csv',
    });
  });
});

describe('bad traffic sections are refused at file:line with a hint', () => {
  it.each([
    [
      'a rate of zero',
      'arrivals: { kind: constant, rate: 0/min }',
      'traffic.arrivals.rate',
      /greater than zero/,
    ],
    [
      'a negative rate',
      'arrivals: { kind: poisson, rate: -5 }',
      'traffic.arrivals.rate',
      /greater than zero/,
    ],
    [
      'a rate that is not a rate',
      'arrivals: { kind: constant, rate: fast }',
      'traffic.arrivals.rate',
      /expected a rate/,
    ],
    [
      'a duration that is not a duration',
      'arrivals: { kind: ramping, stages: [{ duration: soon, target: 5/s }] }',
      'traffic.arrivals.stages.0.duration',
      /expected a duration, found "soon"/,
    ],
    [
      'an unknown arrival kind',
      'arrivals: { kind: sawtooth, rate: 1/s }',
      'traffic.arrivals.kind',
      /unknown arrival process "sawtooth"/,
    ],
    ['a missing kind', 'arrivals: { rate: 1/s }', 'traffic.arrivals.kind', /missing kind/],
    ['an unknown load model', 'model: clsoed', 'traffic.model', /unknown load model "clsoed"/],
    [
      'an all-zero ramp',
      'arrivals: { kind: ramping, stages: [{ duration: 1m, target: 0 }] }',
      'traffic.arrivals.stages',
      /every rate is zero/,
    ],
    [
      'overlapping spikes',
      'arrivals: { kind: spike, base_rate: 1/s, spikes: [{ at: 1m, duration: 5m, rate: 9/s }, { at: 2m, duration: 1m, rate: 9/s }] }',
      'traffic.arrivals.spikes.1',
      /overlaps spike 0/,
    ],
    [
      'model weights adding up to zero',
      'arrivals: { kind: constant, rate: 1/s }\n  mix: { models: { a: 0 } }',
      'traffic.mix.models',
      /add up to zero/,
    ],
    [
      'an unknown distribution',
      'arrivals: { kind: constant, rate: 1/s }\n  mix: { prompt_tokens: { kind: weird } }',
      'traffic.mix.prompt_tokens.kind',
      /unknown distribution "weird"/,
    ],
  ])('%s', (_, body, path, message) => {
    const [p] = problems(`traffic:\n  ${body}\n`);
    expect(p).toMatchObject({ file: 'scenario.yaml', path, message: expect.stringMatching(message) });
    expect(p!.line).toBeGreaterThanOrEqual(2);
    expect(p!.hint).toBeTruthy();
  });

  it('points at the line of the bad value', () => {
    const [p] = problems('traffic:\n  arrivals:\n    kind: constant\n    rate: 0/s\n');
    expect(p).toMatchObject({ line: 4, path: 'traffic.arrivals.rate' });
  });

  it('reports every problem at once', () => {
    const found = problems(
      'traffic:\n  arrivals: { kind: ramping, start_rate: -1/s, stages: [{ duration: 1 parsec, target: 5/s }] }\n  mix: { stream_fraction: 2 }\n',
    );
    expect(found.map((p) => p.path)).toEqual([
      'traffic.arrivals.start_rate',
      'traffic.arrivals.stages.0.duration',
      'traffic.mix.stream_fraction',
    ]);
  });
});

import { SquallError } from '../errors.ts';
import { checkOpenAiSdkOptions, type OpenAiSdkStrategyOptions } from './adapters/openai-sdk-options.ts';
import type { OpossumAction, OpossumBreaker } from './adapters/opossum.ts';
import { loadModuleExport, loadUserStrategy } from './adapters/user-module.ts';
import type { ClassifyOptions } from './classify.ts';
import {
  type AdapterConfig,
  checkStrategyConfig,
  issuesError,
  type StrategyConfig,
  strategyLabel,
} from './config.ts';
import { strategyErrorOutcome, toLogicalOutcome } from './outcome.ts';
import type { Execution, Policy } from './policy.ts';
import { wrap } from './policy.ts';
import { presetConfig } from './presets.ts';
import { buildPolicy } from './registry.ts';
import type { Strategy } from './types.ts';

/**
 * Config → Strategy. Policies are built once per Strategy (a breaker's state belongs to one strategy in
 * one run: build a fresh Strategy per run), composed outermost first with `wrap()`, and the final result
 * of the pipeline is turned into the logical request's outcome with `classify`.
 */
export interface BuildOptions {
  /** Folder that module paths (`adapter.path`) are relative to: the scenario file's. */
  baseDir?: string;
}

/** A strategy from policy instances, for code that builds policies directly. */
export function pipelineStrategy(
  name: string,
  policies: readonly Policy[],
  classify?: ClassifyOptions,
): Strategy {
  const run = wrap(...policies);
  return {
    name,
    async call(req, ctx, signal) {
      const exec: Execution = { req, ctx, model: req.model, attempts: 0 };
      if (signal) exec.signal = signal;
      try {
        return toLogicalOutcome(await run(exec), exec.attempts, classify);
      } catch (e) {
        ctx.log(
          `strategy "${name}" threw on ${req.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        return strategyErrorOutcome(exec.attempts);
      }
    },
  };
}

/**
 * Builds the policies of a checked config (its preset's or its own), each factory checking its options.
 * Throws ERR_SQUALL_STRATEGY naming the strategy and field.
 */
export function buildPolicies(config: StrategyConfig): Policy[] {
  const { policies, classify } = expand(config);
  const label = strategyLabel(config);
  return policies.map((p, index) =>
    buildPolicy(p, { where: `${label} policies[${index}]`, classify, index }),
  );
}

/**
 * Builds a strategy from a checked config, without loading modules: policies and presets. Adapters load
 * a package or a module (the openai SDK's is about 9 MB and 60 ms per thread, which runs that never use
 * it should not pay, in every worker thread), so they need {@link buildStrategy}.
 */
export function buildStrategySync(config: StrategyConfig): Strategy {
  if (config.adapter) {
    const what = config.adapter.type === 'openai-sdk' ? 'the openai package' : 'a module';
    throw new SquallError(
      'ERR_SQUALL_STRATEGY',
      `${strategyLabel(config)} adapter.type: "${config.adapter.type}" loads ${what}; use buildStrategy (async)`,
    );
  }
  return pipelineStrategy(config.name, buildPolicies(config), expand(config).classify);
}

/** Checks a raw config (throwing every problem at once), then builds it, loading modules if it names any. */
export async function buildStrategy(raw: unknown, options: BuildOptions = {}): Promise<Strategy> {
  const { config, issues } = checkStrategyConfig(raw);
  if (!config) throw issuesError(strategyLabel(raw), issues);
  const adapter = config.adapter;
  if (!adapter) return buildStrategySync(config);
  if (adapter.type === 'openai-sdk') {
    const { openaiSdkStrategy } = await import('./adapters/openai-sdk.ts');
    return openaiSdkStrategy(sdkOptions(config, adapter), `${strategyLabel(config)} adapter`);
  }
  return ADAPTER_LOADERS[adapter.type](config, adapter as never, options);
}

/**
 * The checks building would make, without building or loading anything: every policy's numeric rules,
 * and the openai SDK adapter's options. Throws ERR_SQUALL_STRATEGY naming the strategy and field.
 */
export function checkStrategySync(config: StrategyConfig): void {
  if (!config.adapter) buildStrategySync(config);
  else if (config.adapter.type === 'openai-sdk')
    checkOpenAiSdkOptions(sdkOptions(config, config.adapter), `${strategyLabel(config)} adapter`);
}

/**
 * Every problem in a list of strategy configs, found before anything runs: shape, names, numeric rules
 * (by building each pipeline), duplicate names. Modules are not loaded here (that is `buildStrategy`).
 */
export function checkStrategies(raws: readonly unknown[]): SquallError[] {
  const errors: SquallError[] = [];
  const seen = new Map<string, number>();
  raws.forEach((raw, index) => {
    const { config, issues } = checkStrategyConfig(raw);
    if (!config) {
      errors.push(issuesError(strategyLabel(raw, index), issues));
      return;
    }
    const first = seen.get(config.name);
    if (first !== undefined) {
      errors.push(
        new SquallError(
          'ERR_SQUALL_STRATEGY',
          `strategies[${index}].name: "${config.name}" is already the name of strategies[${first}]`,
          {
            hint: 'every strategy needs its own name; reports and thresholds refer to them by name',
          },
        ),
      );
    } else seen.set(config.name, index);
    try {
      checkStrategySync(config);
    } catch (e) {
      if (e instanceof SquallError) errors.push(e);
      else throw e;
    }
  });
  return errors;
}

function expand(config: StrategyConfig): {
  policies: NonNullable<StrategyConfig['policies']>;
  classify: ClassifyOptions | undefined;
} {
  if (config.preset) {
    const preset = presetConfig(config.preset);
    const classify =
      preset.classify || config.classify ? { ...preset.classify, ...config.classify } : undefined;
    return { policies: preset.policies, classify };
  }
  return { policies: config.policies ?? [], classify: config.classify };
}

function sdkOptions(
  config: StrategyConfig,
  a: Extract<AdapterConfig, { type: 'openai-sdk' }>,
): OpenAiSdkStrategyOptions {
  return {
    name: config.name,
    ...(a.maxRetries !== undefined ? { maxRetries: a.maxRetries } : {}),
    ...(a.timeoutMs !== undefined ? { timeoutMs: a.timeoutMs } : {}),
    ...(config.classify ? { classify: config.classify } : {}),
  };
}

type ModuleAdapter = Exclude<AdapterConfig, { type: 'openai-sdk' }>;
type Loader<K extends ModuleAdapter['type']> = (
  config: StrategyConfig,
  adapter: Extract<ModuleAdapter, { type: K }>,
  options: BuildOptions,
) => Promise<Strategy>;

/** Adapter type → loader: one entry per adapter that loads a user's module. */
const ADAPTER_LOADERS: { [K in ModuleAdapter['type']]: Loader<K> } = {
  module: (c, a, o) =>
    loadUserStrategy(a.path, c.name, {
      ...(o.baseDir ? { baseDir: o.baseDir } : {}),
      ...(a.export ? { exportName: a.export } : {}),
      ...(c.classify ? { classify: c.classify } : {}),
    }),
  cockatiel: async (c, a, o) => {
    const value = await exported(c, a, o, ['default', 'policy']);
    if (!isPolicyLike(value) && typeof value !== 'function')
      throw notExported(c, a, 'a cockatiel policy (or a function returning one)');
    const { cockatielStrategy } = await import('./adapters/cockatiel.ts');
    return cockatielStrategy({
      name: c.name,
      policy: value as never,
      ...(c.classify ? { classify: c.classify } : {}),
    });
  },
  opossum: async (c, a, o) => {
    const value = await exported(c, a, o, ['default', 'breaker', 'options']);
    const base = { name: c.name, ...(c.classify ? { classify: c.classify } : {}) };
    const { opossumStrategy } = await import('./adapters/opossum.ts');
    if (typeof value === 'function')
      return opossumStrategy({ ...base, create: value as (action: OpossumAction) => OpossumBreaker });
    if (value && typeof value === 'object') return opossumStrategy({ ...base, options: value as never });
    throw notExported(c, a, 'a function (action) => new CircuitBreaker(action, options), or opossum options');
  },
};

async function exported(
  c: StrategyConfig,
  a: ModuleAdapter,
  o: BuildOptions,
  names: string[],
): Promise<unknown> {
  const { value } = await loadModuleExport(a.path, {
    strategy: c.name,
    field: 'adapter.path',
    exportNames: a.export ? [a.export] : names,
    ...(o.baseDir ? { baseDir: o.baseDir } : {}),
  });
  return value;
}

function isPolicyLike(v: unknown): boolean {
  return !!v && typeof v === 'object' && typeof (v as { execute?: unknown }).execute === 'function';
}

function notExported(c: StrategyConfig, a: ModuleAdapter, what: string): SquallError {
  return new SquallError(
    'ERR_SQUALL_STRATEGY',
    `strategy "${c.name}" adapter.path: "${a.path}" does not export ${what}${a.export ? ` as "${a.export}"` : ' as its default export'}`,
  );
}

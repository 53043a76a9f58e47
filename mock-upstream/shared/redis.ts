import { Redis } from 'ioredis';
import { SquallError } from '../../src/errors.ts';
import type { RateLimitCheck } from '../model/buckets.ts';
import {
  type BucketLevels,
  checkFromLevels,
  type RateLimitOutcome,
  RateLimits,
  requestBurst,
  tokenBurst,
} from '../model/buckets.ts';
import type { RateLimitConfig } from '../types.ts';
import type { BucketOp, SharedBuckets } from './ops.ts';

/**
 * The continuous-refill RPM/TPM buckets of model/buckets.ts, in Redis, one hash per API key, updated
 * atomically by one Lua script per operation (Redis runs a script to the end before anything else).
 * The arithmetic is the same IEEE double arithmetic as `Bucket` in the same order, and levels are stored
 * with 17 significant digits, so a run over Redis admits exactly what one in-memory `RateLimits` would.
 *
 * Time is the caller's `nowMs`. Hosts should be NTP-synced; skew only delays refill: a bucket never
 * refills for a time earlier than its last update. A key expires two minutes after its last charge:
 * by then it has refilled completely, and a full bucket is the same as a fresh one.
 *
 * ARGV: op ('check' | 'charge' | 'snapshot'), nowMs, limitRequests, limitTokens, requestedTokens, ttlMs,
 * burstRequests, burstTokens. A limit is the refill rate per minute; a burst is what the bucket holds at
 * most: the limit, or limit × quantum / 1 min under a quantum (model/causes/quantum.ts, computed by the
 * caller with the same rule). Returns [outcome, requestsLevel, tokensLevel, limitRequests, limitTokens,
 * burstRequests, burstTokens] as strings (a number returned from Lua would be truncated to an integer).
 */
const BUCKET_LUA = `
local EPS = 1e-9
local op = ARGV[1]
local now = tonumber(ARGV[2])
local limR = tonumber(ARGV[3])
local limT = tonumber(ARGV[4])
local want = tonumber(ARGV[5])
local capR = tonumber(ARGV[7])
local capT = tonumber(ARGV[8])
local s = redis.call('HMGET', KEYS[1], 'r', 't', 'cr', 'ct', 'at', 'lr', 'lt')
local r, t, at
if not s[1] then
  r = capR
  t = capT
  at = now
else
  r = tonumber(s[1])
  t = tonumber(s[2])
  local cr = tonumber(s[3])
  local ct = tonumber(s[4])
  at = tonumber(s[5])
  -- Hashes written before bursts existed hold no limits: there the burst was the limit.
  local lr = tonumber(s[6]) or cr
  local lt = tonumber(s[7]) or ct
  if now > at then
    r = math.min(cr, r + ((now - at) * lr) / 60000)
    t = math.min(ct, t + ((now - at) * lt) / 60000)
    at = now
  end
  if op == 'snapshot' then
    capR = cr
    capT = ct
    limR = lr
    limT = lt
  end
  if r > capR then r = capR end
  if t > capT then t = capT end
end
local outcome = 'ok'
-- A request never needs more than a full bucket (quantum.ts).
local need = math.min(want, capT)
if op == 'check' then
  if want > limT then
    outcome = 'too_large'
    r = math.max(0, r - 1)
  elseif r + EPS < 1 then
    outcome = 'requests'
  elseif t + EPS < need then
    outcome = 'tokens'
    r = math.max(0, r - 1)
  else
    r = math.max(0, r - 1)
    t = math.max(0, t - want)
  end
elseif op == 'charge' then
  r = math.max(0, r - 1)
end
local function f(x) return string.format('%.17g', x) end
-- A snapshot stores the refilled levels too, as RateLimits does: refilling in two steps rounds differently
-- from one step, and the levels must stay bit-identical. It leaves the expiry alone (nothing was charged).
if op ~= 'snapshot' or s[1] then
  redis.call('HSET', KEYS[1], 'r', f(r), 't', f(t), 'cr', f(capR), 'ct', f(capT), 'at', f(at), 'lr', f(limR), 'lt', f(limT))
end
if op ~= 'snapshot' then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
return { outcome, f(r), f(t), f(limR), f(limT), f(capR), f(capT) }
`;

/** Full refill takes 60 s; twice that leaves room for clock skew between hosts. */
const KEY_TTL_MS = 120_000;

type BucketCommand = (
  key: string,
  ...args: string[]
) => Promise<[string, string, string, string, string, string, string]>;

export interface RedisBucketsOptions {
  /** Prefix of every key; give each run its own (serve uses the seed and the schedule start). */
  keyPrefix: string;
  /** Fail an operation after this long instead of queueing while Redis is away (default 2000). */
  commandTimeoutMs?: number;
}

export class RedisBuckets implements SharedBuckets {
  readonly label: string;
  private readonly redis: Redis;
  private readonly limits: RateLimits;
  private readonly keyPrefix: string;
  private readonly run: BucketCommand;

  constructor(
    url: string,
    defaults: RateLimitConfig,
    byKey: Record<string, Partial<RateLimitConfig>>,
    options: RedisBucketsOptions,
  ) {
    this.label = `redis ${redactUrl(url)}`;
    // Only limitsFor() is used: the resolution of per-key limits and phase overrides stays in one place.
    this.limits = new RateLimits(defaults, byKey);
    this.keyPrefix = options.keyPrefix;
    this.redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      enableOfflineQueue: true,
    });
    this.redis.defineCommand('squallBucket', { numberOfKeys: 1, lua: BUCKET_LUA });
    this.run = (this.redis as unknown as { squallBucket: BucketCommand }).squallBucket.bind(this.redis);
  }

  /** Connects and checks the server answers; a clear error for a wrong --redis URL before serving. */
  async connect(): Promise<void> {
    try {
      await this.redis.connect();
      await this.redis.ping();
    } catch (e) {
      this.redis.disconnect();
      throw new SquallError(
        'ERR_SQUALL_INVALID_CONFIG',
        `cannot reach ${this.label}: ${e instanceof Error ? e.message : String(e)}`,
        { hint: 'check --redis (e.g. redis://127.0.0.1:6379/0) and that the server is up' },
      );
    }
  }

  async apply(op: BucketOp): Promise<RateLimitCheck> {
    const limits =
      op.kind === 'snapshot'
        ? this.limits.limitsFor(op.apiKey)
        : this.limits.limitsFor(op.apiKey, op.override);
    const requestedTokens = op.kind === 'check' ? op.requestedTokens : 0;
    const [outcome, r, t, lr, lt, cr, ct] = await this.run(
      this.keyPrefix + op.apiKey,
      op.kind,
      String(op.nowMs),
      String(limits.requestsPerMin),
      String(limits.tokensPerMin),
      String(requestedTokens),
      String(KEY_TTL_MS),
      String(requestBurst(limits)),
      String(tokenBurst(limits)),
    );
    const levels: BucketLevels = {
      requestsLevel: Number(r),
      tokensLevel: Number(t),
      limitRequests: Number(lr),
      limitTokens: Number(lt),
      burstRequests: Number(cr),
      burstTokens: Number(ct),
    };
    return checkFromLevels(outcome as RateLimitOutcome, requestedTokens, levels, op.nowMs);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

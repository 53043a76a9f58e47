import { isSquallError } from '../../src/errors.ts';
import { parseDurationMs } from '../../src/util/duration.ts';
import { FAULT_KINDS, type FaultKind, type Scope } from '../types.ts';
import type { Upstream } from '../upstream.ts';

/**
 * The control API under `/__squall/`, as a pure function shared by the HTTP and msw fronts.
 *
 *   GET    /__squall/state           current time, active phases, overrides, bucket levels, in-flight
 *   GET    /__squall/schedule        the whole timeline (random incidents expanded)
 *   POST   /__squall/override        {"faults":{"503":1},"ttl":"30s","scope":{...}} → reverts by itself
 *   DELETE /__squall/override        drop every override now
 *   POST   /__squall/reset           buckets, capacity, overrides, journal; the schedule restarts now
 *   GET    /__squall/journal?since=N&limit=M
 *   GET    /__squall/metrics (and /metrics)   Prometheus text format
 */
export interface ControlRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  bodyText: string;
  authorization: string | undefined;
  controlToken: string | undefined;
  nowMs: number;
}

export interface ControlResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const MAX_OVERRIDE_TTL_MS = 24 * 3_600_000;
const JSON_HEADERS = { 'content-type': 'application/json' };

export function handleControl(upstream: Upstream, req: ControlRequest): ControlResponse {
  if (req.controlToken && req.authorization !== `Bearer ${req.controlToken}`) {
    return json(401, {
      error: 'control API requires "Authorization: Bearer <token>" (set by --control-token)',
    });
  }
  const route = `${req.method.toUpperCase()} ${req.path.replace(/\/+$/, '')}`;
  try {
    switch (route) {
      case 'GET /__squall/state':
        return json(200, upstream.state(req.nowMs));
      case 'GET /__squall/schedule':
        return json(200, { phases: upstream.schedule() });
      case 'POST /__squall/override':
        return json(201, upstream.override(parseOverride(req.bodyText), req.nowMs));
      case 'DELETE /__squall/override':
        upstream.clearOverrides();
        return json(200, { cleared: true });
      case 'POST /__squall/reset':
        upstream.reset(req.nowMs);
        return json(200, { reset: true, atMs: req.nowMs });
      case 'GET /__squall/journal': {
        const sinceSeq = intParam(req.query, 'since', 0);
        const limit = Math.min(intParam(req.query, 'limit', 1000), 10_000);
        return json(200, {
          total: upstream.journal.total,
          entries: upstream.journal.list({ sinceSeq, limit }),
        });
      }
      case 'GET /__squall/metrics':
      case 'GET /metrics':
        return {
          status: 200,
          headers: { 'content-type': 'text/plain; version=0.0.4' },
          body: upstream.metrics(req.nowMs),
        };
      default:
        return json(404, {
          error: `no control route ${route}`,
          hint: 'routes: GET state, GET schedule, POST/DELETE override, POST reset, GET journal, GET metrics',
        });
    }
  } catch (e) {
    if (e instanceof BadControlRequest || isSquallError(e)) {
      return json(400, { error: e.message, ...('hint' in e && e.hint ? { hint: e.hint } : {}) });
    }
    throw e;
  }
}

class BadControlRequest extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

export interface OverrideRequest {
  faults: Partial<Record<FaultKind, number>>;
  ttlMs: number;
  scope?: Scope;
}

function parseOverride(bodyText: string): OverrideRequest {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new BadControlRequest('override: body is not JSON', 'send {"faults":{"503":1},"ttl":"30s"}');
  }
  if (typeof body !== 'object' || body === null)
    throw new BadControlRequest('override: body must be an object');
  const b = body as Record<string, unknown>;
  const faults = b.faults;
  if (typeof faults !== 'object' || faults === null || Array.isArray(faults)) {
    throw new BadControlRequest(
      'override.faults: expected an object of fault kind → probability',
      'e.g. {"429":0.5}',
    );
  }
  const out: Partial<Record<FaultKind, number>> = {};
  for (const [k, v] of Object.entries(faults)) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new BadControlRequest(
        `override.faults: unknown fault kind "${k}"`,
        `known kinds: ${FAULT_KINDS.join(', ')}`,
      );
    }
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new BadControlRequest(
        `override.faults.${k}: expected a probability between 0 and 1, got ${JSON.stringify(v)}`,
      );
    }
    out[k as FaultKind] = v;
  }
  const ttlRaw = b.ttl ?? b.ttlMs;
  if (ttlRaw === undefined)
    throw new BadControlRequest('override.ttl: required', 'e.g. "ttl":"30s"; overrides always expire');
  if (typeof ttlRaw !== 'string' && typeof ttlRaw !== 'number')
    throw new BadControlRequest('override.ttl: expected a duration');
  const ttlMs = parseDurationMs(ttlRaw, 'override.ttl');
  if (!(ttlMs > 0 && ttlMs <= MAX_OVERRIDE_TTL_MS)) {
    throw new BadControlRequest(`override.ttl: must be between 1ms and 24h, got ${ttlRaw}`);
  }
  const scope = b.scope as Scope | undefined;
  if (scope !== undefined && (typeof scope !== 'object' || scope === null)) {
    throw new BadControlRequest(
      'override.scope: expected {"models":[...],"endpoints":[...],"apiKeys":[...]}',
    );
  }
  return { faults: out, ttlMs, ...(scope ? { scope } : {}) };
}

function intParam(q: URLSearchParams, name: string, dflt: number): number {
  const v = q.get(name);
  if (v === null) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new BadControlRequest(`query ${name}: expected a non-negative integer, got "${v}"`);
  return n;
}

function json(status: number, body: unknown): ControlResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

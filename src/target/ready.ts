import type { ServiceProcess } from './process.ts';

/**
 * Readiness: GET `url` until it answers below 500, the process exits, or `timeoutMs` passes. Each probe
 * is bounded too, so a service that accepts the connection and never answers cannot stall the run.
 */
export interface ReadyOptions {
  timeoutMs: number;
  /** Between probes. */
  intervalMs?: number;
  signal?: AbortSignal;
}

const PROBE_TIMEOUT_MS = 2_000;

export async function waitReady(service: ServiceProcess, url: string, o: ReadyOptions): Promise<void> {
  const deadline = performance.now() + o.timeoutMs;
  const intervalMs = o.intervalMs ?? 100;
  let last = 'no answer yet';
  for (;;) {
    if (service.exitStatus !== undefined) {
      throw service.failure(
        `the service ${service.describeExit()} before it answered ${url}`,
        service.spawnError
          ? 'check target.command and target.cwd (paths are relative to the scenario file)'
          : undefined,
      );
    }
    if (o.signal?.aborted) throw service.failure('interrupted while waiting for the service to be ready');
    const left = deadline - performance.now();
    if (left <= 0) {
      throw service.failure(
        `the service did not answer ${url} within ${Math.round(o.timeoutMs / 1000)} s (last probe: ${last})`,
        'is it listening on the host and port of target.ready.url? Raise target.ready.timeout if it starts slowly',
      );
    }
    const status = await probe(url, Math.min(PROBE_TIMEOUT_MS, left));
    if (typeof status === 'number' && status < 500) return;
    last = typeof status === 'number' ? `status ${status}` : status;
    await Promise.race([
      sleep(Math.min(intervalMs, Math.max(0, deadline - performance.now()))),
      service.exited,
    ]);
  }
}

/** The status of one GET, or why there was none. */
export async function probe(url: string, timeoutMs: number): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    // Read to the end (bounded by the same timeout): a cancelled body resets the connection, which the
    // service would log as an error of its own.
    await res.arrayBuffer();
    return res.status;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    return cause?.code ?? (e instanceof Error ? e.name : String(e));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

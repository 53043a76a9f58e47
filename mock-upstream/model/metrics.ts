import type { UpstreamModel } from './model.ts';

/**
 * The model's state in the Prometheus text exposition format (version 0.0.4), for `GET /metrics`.
 * API keys are masked; two keys with the same mask get a `#n` suffix so every series stays unique.
 */
export function renderPrometheus(model: UpstreamModel, nowMs: number): string {
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };

  family(
    'squall_attempts_total',
    'counter',
    'Attempts decided by the mock upstream, by outcome and endpoint.',
  );
  for (const { endpoint, outcome, count } of model.counters.entries()) {
    lines.push(
      `squall_attempts_total{outcome="${escapeLabel(outcome)}",endpoint="${escapeLabel(endpoint)}"} ${count}`,
    );
  }

  family('squall_in_flight', 'gauge', 'Attempts being served or queued by the mock upstream.');
  lines.push(`squall_in_flight ${model.inFlight(nowMs)}`);

  const levels = model.rateLimitLevels(nowMs);
  const seen = new Map<string, number>();
  const labels = levels.map((l) => {
    const n = seen.get(l.apiKey) ?? 0;
    seen.set(l.apiKey, n + 1);
    return escapeLabel(n === 0 ? l.apiKey : `${l.apiKey}#${n}`);
  });
  family(
    'squall_ratelimit_remaining_requests',
    'gauge',
    'Requests left in the RPM bucket, per API key (masked).',
  );
  levels.forEach((l, i) => {
    lines.push(`squall_ratelimit_remaining_requests{api_key="${labels[i]}"} ${l.requests}`);
  });
  family(
    'squall_ratelimit_remaining_tokens',
    'gauge',
    'Tokens left in the TPM bucket, per API key (masked).',
  );
  levels.forEach((l, i) => {
    lines.push(`squall_ratelimit_remaining_tokens{api_key="${labels[i]}"} ${l.tokens}`);
  });

  const active = model.activeCount(nowMs);
  family('squall_active_phases', 'gauge', 'Schedule phases (incidents included) active now, before scopes.');
  lines.push(`squall_active_phases ${active.phases}`);
  family('squall_active_overrides', 'gauge', 'Control-API fault overrides alive now.');
  lines.push(`squall_active_overrides ${active.overrides}`);

  family('squall_journal_entries_total', 'counter', 'Attempts written to the journal (ring buffer).');
  lines.push(`squall_journal_entries_total ${model.journal.total}`);
  return `${lines.join('\n')}\n`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

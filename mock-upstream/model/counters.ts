/** Attempts by endpoint and outcome, for Prometheus and reports. Nested maps so counting builds no strings. */
export class AttemptCounters {
  private readonly byEndpoint = new Map<string, Map<string, number>>();
  private count = 0;

  add(endpoint: string, outcome: string): void {
    let m = this.byEndpoint.get(endpoint);
    if (!m) {
      m = new Map();
      this.byEndpoint.set(endpoint, m);
    }
    m.set(outcome, (m.get(outcome) ?? 0) + 1);
    this.count++;
  }

  /** Every (endpoint, outcome) pair seen, with its count. */
  entries(): Array<{ endpoint: string; outcome: string; count: number }> {
    const out: Array<{ endpoint: string; outcome: string; count: number }> = [];
    for (const [endpoint, m] of this.byEndpoint) {
      for (const [outcome, count] of m) out.push({ endpoint, outcome, count });
    }
    return out;
  }

  /** Count of one outcome across endpoints. */
  outcome(outcome: string): number {
    let n = 0;
    for (const m of this.byEndpoint.values()) n += m.get(outcome) ?? 0;
    return n;
  }

  get total(): number {
    return this.count;
  }

  reset(): void {
    this.byEndpoint.clear();
    this.count = 0;
  }
}

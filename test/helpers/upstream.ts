import { Upstream } from '../../mock-upstream/upstream.ts';
import { type UpstreamInput, upstreamConfigFrom } from '../../src/scenario/upstream-schema.ts';

/** A fast upstream for tests: small fixed latency unless the test says otherwise. */
export function testUpstream(section: UpstreamInput = {}, seed = 'test-seed'): Upstream {
  return new Upstream(
    upstreamConfigFrom(seed, {
      latency: { fixed: 2 },
      stream: { ttft: { fixed: 2 }, tokens_per_sec: 2000, jitter: 0 },
      completion_tokens: { median: 12, p99: 20 },
      max_hang: 3000,
      ...section,
    }),
  );
}

export const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say hello' }] };

/**
 * A scenario's primary objective (`objective:`): the one number its strategies are ranked by in the
 * verdict table. Success rate over offered requests by default, because a strategy that answers fast
 * but loses requests has not won anything. Latency objectives read successful requests only.
 */
export const OBJECTIVES = {
  success_rate: { better: 'higher', label: 'success rate over offered requests' },
  goodput: { better: 'higher', label: 'successful requests per second of elapsed time' },
  unfinished: { better: 'lower', label: 'requests still open when the run ended' },
  'p(50)': { better: 'lower', label: 'median latency of successful requests' },
  'p(95)': { better: 'lower', label: '95th percentile latency of successful requests' },
  'p(99)': { better: 'lower', label: '99th percentile latency of successful requests' },
  amplification: { better: 'lower', label: 'attempts per offered request' },
  recovery_time: { better: 'lower', label: 'slowest recovery after a fault window' },
  wasted_retries: { better: 'lower', label: 'retries of requests that had already failed for good' },
  cost: { better: 'lower', label: 'cost of billed tokens' },
  other_success_rate: { better: 'higher', label: "success rate of the app's other traffic (blast radius)" },
} as const satisfies Record<string, { better: 'higher' | 'lower'; label: string }>;

export type Objective = keyof typeof OBJECTIVES;

export const OBJECTIVE_NAMES = Object.keys(OBJECTIVES) as Objective[];

export const DEFAULT_OBJECTIVE: Objective = 'success_rate';

export function isObjective(name: string | undefined): name is Objective {
  return name !== undefined && Object.hasOwn(OBJECTIVES, name);
}

import type { FailureClass } from '../metrics/failure-class.ts';

/**
 * Colours that mean the same thing on every chart: a strategy keeps its colour by its position in
 * result.json, and a failure class keeps its colour in every stacked chart. Mid-tone hues (Tableau 10)
 * stay readable on both the light and the dark background.
 */
export const STRATEGY_PALETTE: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#e15759',
  '#9c755f',
  '#edc948',
  '#ff9da7',
  '#bab0ac',
];

export function strategyColor(index: number): string {
  return STRATEGY_PALETTE[index % STRATEGY_PALETTE.length]!;
}

export const FAILURE_CLASS_STYLE: Record<FailureClass, { label: string; color: string }> = {
  '429': { label: '429 rate limited', color: '#f1a340' },
  '5xx': { label: '5xx', color: '#d7301f' },
  timeout: { label: 'timeout', color: '#8e6bbf' },
  reset: { label: 'reset / refused', color: '#8c564b' },
  stream: { label: 'stream cut', color: '#e377c2' },
  client_4xx: { label: 'client 4xx', color: '#7f7f7f' },
  breaker_open: { label: 'breaker fast-fail', color: '#1f77b4' },
  shed: { label: 'shed', color: '#17becf' },
  deadline: { label: 'deadline', color: '#bcbd22' },
  app: { label: 'app: no worker / own timeout', color: '#393b79' },
  other: { label: 'other', color: '#a0a0a0' },
};

/** Fault windows on time axes. */
export const FAULT_SHADE = 'rgba(215, 48, 31, 0.12)';
export const FAULT_EDGE = 'rgba(215, 48, 31, 0.55)';

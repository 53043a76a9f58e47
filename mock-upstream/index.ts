/**
 * The mock upstream's public API: one model, three fronts. Everything a user's own tests need.
 *
 *   import { setupServer } from 'msw/node';
 *   import { createUpstream, squallHandlers } from 'squall/mock-upstream';
 *   const server = setupServer(...squallHandlers(createUpstream({ seed: 1 })));
 */
export { type HttpFront, type HttpFrontOptions, startHttpFront } from './fronts/http.ts';
export { createInProcessFetch } from './fronts/in-process.ts';
export { type MswOptions, squallHandlers } from './fronts/msw.ts';
export {
  type Decision,
  type Endpoint,
  FAULT_KINDS,
  type FaultKind,
  type LatencySpec,
  type PhaseConfig,
  type Reply,
  type Scope,
  type UpstreamConfig,
} from './types.ts';
export { createUpstream, Upstream } from './upstream.ts';

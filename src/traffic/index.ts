/** Traffic: arrival processes, the request mix, trace replay and the source the runner drives. */
export {
  ARRIVAL_KINDS,
  ARRIVAL_PROCESSES,
  arrivalTimes,
  expectedArrivals,
  validateArrivals,
} from './arrivals/index.ts';
export type { ArrivalKind, ArrivalProcess, ArrivalSpec, RateSegment } from './arrivals/types.ts';
export { type Dist, quantile } from './dist.ts';
export { TrafficConfigError } from './errors.ts';
export {
  DEFAULT_API_KEY,
  DEFAULT_MIX,
  type Endpoint,
  type RequestMix,
  sampleRequest,
  sampleRequestKeyed,
  validateMix,
} from './mix.ts';
export { rate, rateOrZero, type TrafficSection, toTrafficSpec, trafficSchema } from './parse.ts';
export { DEFAULT_MAX_RECORDED, replayArrivals } from './replay.ts';
export {
  type ClosedTraffic,
  createTraffic,
  describeArrivals,
  MAX_EXPECTED_REQUESTS,
  type TrafficSource,
  type TrafficSpec,
} from './source.ts';
export {
  loadTrace,
  MAX_TRACE_BYTES,
  MAX_TRACE_LINES,
  parseTrace,
  type Trace,
  type TraceOptions,
} from './trace.ts';

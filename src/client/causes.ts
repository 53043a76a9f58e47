import type { ClientCause } from './cause.ts';
import { connections } from './connections.ts';
import { deadline } from './deadline.ts';
import { otherTraffic } from './other-traffic.ts';
import { workers } from './workers.ts';

/**
 * The causes of the calling application, one file each; a new cause is its file plus one line here.
 * The order is the order of their hooks, and it matters:
 * - the deadline first: its timer is armed at admission before a worker's wait timer, so when both fall
 *   on one instant the app's timeout fires first, and it can drop a request still queued for a worker;
 * - workers before connections: an attempt takes its worker, then its connection, and gives both back
 *   in reverse;
 * - other traffic last: it uses the workers and the deadline created before it.
 */
export const CLIENT_CAUSES: readonly ClientCause[] = [deadline, workers, connections, otherTraffic];

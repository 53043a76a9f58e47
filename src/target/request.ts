import type { LogicalRequest } from '../strategies/types.ts';
import type { TargetPlan } from './run-variant.ts';
import { expand, expandString, requestValues } from './template.ts';

/** Sent with every request to the service; a service that forwards it lets squall join its attempts. */
export const REQUEST_ID_HEADER = 'x-squall-request-id';
/** A service's answer is read up to this size; the rest is dropped (squall only needs the status). */
const MAX_ANSWER_BYTES = 1 << 20;

/** The HTTP request for one logical request: the target's template filled from the traffic mix. */
export function serviceRequest(
  template: TargetPlan['request'],
  origin: string,
  req: LogicalRequest,
): { url: string; init: RequestInit } {
  const values = requestValues(req);
  const body = template.body === undefined ? undefined : JSON.stringify(expand(template.body, values));
  const headers: Record<string, string> = {};
  for (const [k, h] of Object.entries(template.headers)) headers[k.toLowerCase()] = expandString(h, values);
  if (body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json';
  headers[REQUEST_ID_HEADER] = req.id;
  return {
    url: `${origin}${expandString(template.path, values)}`,
    init: { method: template.method, headers, ...(body !== undefined ? { body } : {}) },
  };
}

/** Reads an answer to its end, keeping at most MAX_ANSWER_BYTES. */
export async function readBounded(res: Response): Promise<void> {
  const reader = res.body?.getReader();
  if (!reader) return;
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return;
    }
  }
}

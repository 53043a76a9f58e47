/**
 * `make(key)`, remembered in `cache`, which is emptied when it reaches `limit` entries: for per-request
 * work over a handful of distinct keys (model names, error types), where recomputing costs more than a
 * map lookup and the keys' number must stay bounded whatever clients send.
 */
export function memo<K, V>(cache: Map<K, V>, key: K, make: (key: K) => V, limit = 256): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = make(key);
    if (cache.size >= limit) cache.clear();
    cache.set(key, value);
  }
  return value;
}

# ------------------------------------------------------------------------------------------------------
# Arrivals: squall's traffic/arrivals/curve.ts. The k-th arrival is the first t with Λ(t) > k (evenly
# spaced); Poisson applies the same map to a unit-rate Poisson process.


def segment_count(s):
    start, end, r0, r1 = s
    return (r0 + r1) / 2 * (end - start) / 1000


def offset_for_count(s, d):
    if d <= 0:
        return 0.0
    start, end, r0, r1 = s
    length = end - start
    b = r0 / 1000
    a = (r1 - r0) / (2 * length * 1000)
    return min(length, (2 * d) / (b + math.sqrt(max(0.0, b * b + 4 * a * d))))


def times_at_counts(segments, targets, duration_ms):
    """(target, time ms) for each target of the non-decreasing iterator `targets`, until duration_ms."""
    before = 0.0
    target = next(targets)
    for s in segments:
        if s[0] >= duration_ms:
            return
        count = segment_count(s)
        while target < before + count:
            t = js_round((s[0] + offset_for_count(s, target - before)) * 1000) / 1000
            if t >= duration_ms:
                return
            yield target, t
            target = next(targets)
        before += count


def arrivals_for(index, dispatchers, rng):
    """(request id, arrival ms) of dispatcher `index` of `dispatchers`. Evenly spaced, burst and trace
    arrivals are squall's own, numbered as squall numbers them (r0, r1, …), dealt round-robin; Poisson arrivals are
    each dispatcher's own Poisson process at 1/dispatchers of the rate (their sum is the whole process)."""
    duration_ms = TRAFFIC["durationMs"]
    if TRAFFIC["kind"] == "trace":
        for k in range(index, len(TRAFFIC["requests"]), dispatchers):
            yield TRAFFIC["requests"][k][0], TRAFFIC["requests"][k][1]
        return
    if TRAFFIC["kind"] == "burst":
        if TRAFFIC["atMs"] < duration_ms:
            for k in range(index, TRAFFIC["count"], dispatchers):
                yield "r%d" % k, TRAFFIC["atMs"]
        return
    if TRAFFIC["poisson"]:
        def unit_times():
            u = 0.0
            while True:
                u += rng.expovariate(1.0) * dispatchers
                yield u

        n = 0
        for _, t in times_at_counts(TRAFFIC["segments"], unit_times(), duration_ms):
            yield "p%d.%d" % (index, n), t
            n += 1
        return
    for k, t in times_at_counts(TRAFFIC["segments"], iter(range(index, 1 << 62, dispatchers)), duration_ms):
        yield "r%d" % k, t


# ------------------------------------------------------------------------------------------------------
# Request mix: squall's traffic/mix.ts (the draws are Python's, seeded from the scenario seed).


def pick_weighted(items, rng, key="name"):
    total = sum(it["weight"] for it in items)
    u = rng.random() * total
    for it in items:
        u -= it["weight"]
        if u < 0 and it["weight"] > 0:
            return it[key]
    return items[-1][key] if items else ""


def sample_dist(d, floor, rng):
    if d["kind"] == "fixed":
        v = d["value"]
    elif d["kind"] == "uniform":
        v = d["min"] + math.floor(rng.random() * (d["max"] - d["min"] + 1))
    else:
        sigma = math.log(d["p99"] / d["median"]) / 2.326347874040841 if d["p99"] > d["median"] else 0
        v = d["median"] * math.exp(sigma * rng.gauss(0, 1))
        if d.get("max") is not None:
            v = min(v, d["max"])
    return max(floor, js_round(v))


def pick_user(users, rng):
    if isinstance(users, list):
        return pick_weighted(users, rng)
    if not users.get("zipf"):
        return "user-%d" % (1 + math.floor(rng.random() * users["count"]))
    ranks = [{"name": "user-%d" % k, "weight": 1 / k ** users["zipf"]} for k in range(1, min(users["count"], 10000) + 1)]
    return pick_weighted(ranks, rng)


def sample_request(rid, rng):
    endpoint = pick_weighted(MIX["endpoints"], rng) if MIX.get("endpoints") else "chat.completions"
    req = {
        "id": rid,
        "endpoint": endpoint,
        "model": pick_weighted(MIX["models"], rng),
        "promptTokens": sample_dist(MIX["promptTokens"], 1, rng),
        "maxTokens": sample_dist(MIX["maxTokens"], 1, rng),
        "stream": endpoint != "embeddings" and rng.random() < MIX["streamFraction"],
        "apiKey": pick_weighted(MIX["apiKeys"], rng, key="key") if MIX["apiKeys"] else "sk-squall-test",
    }
    if MIX.get("users"):
        req["user"] = pick_user(MIX["users"], rng)
    if MIX.get("features"):
        req["feature"] = pick_weighted(MIX["features"], rng)
    return req


TRACE = {row[0]: row for row in TRAFFIC.get("requests", [])}


def request_for(rid, rng):
    """A trace's recorded request, or a fresh draw from the mix."""
    row = TRACE.get(rid)
    if row is None:
        return sample_request(rid, rng)
    rid, _at, endpoint, model, prompt, max_tokens, stream, key, user, feature = row
    req = {"id": rid, "endpoint": endpoint, "model": model, "promptTokens": prompt, "maxTokens": max_tokens, "stream": stream, "apiKey": key}
    if user is not None:
        req["user"] = user
    if feature is not None:
        req["feature"] = feature
    return req


def wire_body(req, model):
    """About n tokens: three-letter words and spaces are four characters a token (as squall sends)."""
    text = " ".join(WORDS[i % len(WORDS)] for i in range(req["promptTokens"]))
    user = {"user": req["user"]} if "user" in req else {}
    if req["endpoint"] == "embeddings":
        return {"model": model, "input": text, **user}
    if req["endpoint"] == "responses":
        return {"model": model, "input": text, "max_output_tokens": max(16, req["maxTokens"]), "stream": req["stream"], **user}
    return {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": req["maxTokens"], "stream": req["stream"], **user}



# @squall:header
# The runtime of every locustfile `squall export locust` writes (src/export/locust.ts fills in the
# constants below and the header above). It is a small interpreter of the STRATEGY, MIX and TRAFFIC data
# and mirrors squall's classify.ts, backoff/*.ts, retry-after.ts, policies/retry.ts, breaker.ts and
# fallback.ts rule for rule, as src/export/k6-runtime.ts does for k6: a change there needs the same change
# here. test/export/locust-structure.test.ts compiles it and checks its formulas against squall's.
# With the defaults below it is itself a runnable locustfile (one request a second for ten seconds).

import json
import math
import os
import random
import time
from email.utils import parsedate_to_datetime

import gevent
import gevent.pool
import requests
from locust import LoadTestShape, User, constant, events, task
import locust.runners
from locust.runners import MasterRunner, WorkerRunner

# Debian's python3-locust 2.12.1-1 reports an empty version, and a master refuses a worker whose "ready"
# message carries no version ("An old (pre 2.0) worker tried to connect"), so distributed runs never start.
# Master and workers load this same file, so they agree on the stand-in.
if not locust.runners.__version__:
    locust.runners.__version__ = "2.12.1+unknown"

# @squall:constants-begin
SCENARIO = "example"
SEED = "1"
STRATEGY = {
    "name": "single-attempt",
    "maxAttempts": 1,
    "backoff": {"kind": "none"},
    "retryOn": ["transient", "network"],
    "retryAfter": None,
    "attemptTimeoutMs": 60000,
    "deadlineMs": 300000,
    "classify": {
        "transientStatuses": [408, 409, 429, 500, 502, 503, 504],
        "clientStatuses": [],
        "retryQuota429": False,
        "honourShouldRetryHeader": True,
    },
    "breaker": None,
    "budget": None,
    "fallback": None,
}
MIX = {
    "models": [{"name": "gpt-4o-mini", "weight": 1}],
    "promptTokens": {"kind": "fixed", "value": 100},
    "maxTokens": {"kind": "fixed", "value": 16},
    "streamFraction": 0,
    "apiKeys": [{"key": "sk-squall-test", "weight": 1}],
}
TRAFFIC = {
    "kind": "open",
    "durationMs": 10000,
    "drainMs": 5000,
    "segments": [[0, 10000, 1, 1]],
    "poisson": False,
}
CHECKS = []
# @squall:constants-end

DEFAULT_BASE_URL = "http://127.0.0.1:8787/v1"
# Seconds between the test's start and the first arrival, so every worker has its users running.
LEAD_S = 2.0
# Limits: logical requests in flight per dispatcher, bytes read from one answer.
MAX_IN_FLIGHT = 10000
MAX_BODY_BYTES = 16 * 1024 * 1024
# Locust request types: one row per attempt and one per logical request in Locust's statistics.
ATTEMPT = "ATTEMPT"
LOGICAL = "LOGICAL"

WORDS = ["the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one"]
UNRECOVERABLE_429 = ["insufficient_quota", "credit_balance_exhausted", "billing_hard_limit_reached"]
DEFAULT_TRANSIENT = [408, 409, 429, 500, 502, 503, 504]
PATHS = {"chat.completions": "/chat/completions", "embeddings": "/embeddings", "responses": "/responses"}


def js_round(x):
    """JavaScript's Math.round (halves up), so rounded figures match squall's."""
    return math.floor(x + 0.5)


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
    """(request id, arrival ms) of dispatcher `index` of `dispatchers`. Evenly spaced and burst arrivals
    are squall's own, numbered as squall numbers them (r0, r1, …), dealt round-robin; Poisson arrivals are
    each dispatcher's own Poisson process at 1/dispatchers of the rate (their sum is the whole process)."""
    duration_ms = TRAFFIC["durationMs"]
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


def wire_body(req, model):
    """About n tokens: three-letter words and spaces are four characters a token (as squall sends)."""
    text = " ".join(WORDS[i % len(WORDS)] for i in range(req["promptTokens"]))
    user = {"user": req["user"]} if "user" in req else {}
    if req["endpoint"] == "embeddings":
        return {"model": model, "input": text, **user}
    if req["endpoint"] == "responses":
        return {"model": model, "input": text, "max_output_tokens": max(16, req["maxTokens"]), "stream": req["stream"], **user}
    return {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": req["maxTokens"], "stream": req["stream"], **user}


# ------------------------------------------------------------------------------------------------------
# Classification, backoff, Retry-After: squall's classify.ts, backoff/*.ts, retry-after.ts.


def header(headers, name):
    lower = name.lower()
    for k, v in headers.items():
        if k.lower() == lower:
            return v.strip()
    return None


def is_unrecoverable_429(o):
    return o["status"] == 429 and (o["errorCode"] in UNRECOVERABLE_429 or "request too large" in o["errorMessage"].lower())


def classify(o, c):
    """squall's classify.ts, first match wins."""
    if o["status"] == 0:
        return "network"
    if 200 <= o["status"] < 300:
        return "success"
    if c["honourShouldRetryHeader"]:
        h = (header(o["headers"], "x-should-retry") or "").lower()
        if h == "true":
            return "transient"
        if h == "false":
            return "client"
    if o["status"] in c["clientStatuses"]:
        return "client"
    if o["status"] == 429 and not c["retryQuota429"] and is_unrecoverable_429(o):
        return "client"
    if o["status"] in c["transientStatuses"]:
        return "transient"
    return "transient" if o["status"] >= 500 else "client"


def failed_for_good(o):
    """A failure no retry can fix (400, 401, quota), whatever the strategy thinks: a retry of it is wasted."""
    plain = {"transientStatuses": DEFAULT_TRANSIENT, "clientStatuses": [], "retryQuota429": False, "honourShouldRetryHeader": False}
    return classify(o, plain) == "client"


def next_delay_ms(b, s, rng):
    """squall's backoff/*.ts and jitter.ts; `s` is {"retries", "prevDelayMs"} and is advanced."""
    kind = b["kind"]
    if kind == "none":
        d = 0
    elif kind == "fixed":
        d = b["delayMs"]
    elif kind == "linear":
        d = min(b["capMs"], b["baseMs"] + b.get("stepMs", b["baseMs"]) * s["retries"])
    else:
        try:
            exp = b["baseMs"] * b.get("factor", 2) ** s["retries"]
        except OverflowError:
            exp = math.inf
        capped = min(b["capMs"], exp)
        j = b["jitter"]
        if j == "full":
            d = rng.uniform(0, capped)
        elif j == "equal":
            d = capped / 2 + rng.uniform(0, capped / 2)
        elif j == "decorrelated":
            prev = s["prevDelayMs"] if s["prevDelayMs"] > 0 else b["baseMs"]
            d = min(b["capMs"], rng.uniform(b["baseMs"], max(b["baseMs"], prev * 3)))
        elif j == "additive":
            d = min(b["capMs"], exp + rng.uniform(0, b.get("jitterMs", b["baseMs"])))
        elif j == "negative25":
            d = capped * (1 - 0.25 * rng.random())
        elif j == "p-retry":
            d = min(b["capMs"], js_round(exp * (1 + rng.random())))
        else:
            d = capped
    s["retries"] += 1
    s["prevDelayMs"] = d
    return d


PLAIN_NUMBER = "0123456789."


def _plain(v):
    return v is not None and v != "" and all(ch in PLAIN_NUMBER for ch in v) and v.count(".") <= 1 and v[0] != "." and v[-1] != "."


def parse_retry_after_ms(headers, now_s):
    """retry-after-ms, then retry-after in seconds, then as an HTTP date (squall's retry-after.ts)."""
    ms = header(headers, "retry-after-ms")
    if _plain(ms):
        return float(ms)
    after = header(headers, "retry-after")
    if after is None or after == "":
        return None
    if _plain(after):
        return float(after) * 1000
    try:
        at_s = parsedate_to_datetime(after).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    delta = (at_s - now_s) * 1000
    return delta if delta >= 0 else None


def server_delay_ms(o, now_s):
    ra = STRATEGY["retryAfter"]
    if not ra or not ra["honour"] or o["status"] == 0:
        return None
    ms = parse_retry_after_ms(o["headers"], now_s)
    if ms is None:
        return None
    if ms <= ra["maxMs"]:
        return ms
    return ra["maxMs"] if ra["overMax"] == "clamp" else None


# ------------------------------------------------------------------------------------------------------
# Per worker process: the breaker, the budget and the counters. Greenlets share them (gevent switches only
# at I/O and sleeps, so no lock is needed); separate worker processes do not.

TOTALS_ZERO = {
    "offered": 0, "succeeded": 0, "failed": {}, "unfinished": 0, "attempts": 0, "retries": 0,
    "wasted_retries": 0, "abandoned_attempts": 0, "breaker_opened": 0, "fallbacks": 0,
    "fallback_exhausted": 0, "success_ms_sum": 0.0, "success_ms_max": 0.0, "success_ms": {},
    "dispatchers_done": 0,
}


def fresh_totals():
    return json.loads(json.dumps(TOTALS_ZERO))


TOTALS = fresh_totals()


def bucket_ms(ms):
    """Locust's rounding of response times (exact below 100 ms, two significant digits above), so a
    percentile needs a bounded map, not every sample."""
    ms = int(js_round(ms))
    if ms < 100:
        return ms
    digits = len(str(ms)) - 2
    return int(round(ms, -digits))


def merge_totals(into, delta):
    for k, v in delta.items():
        if k == "success_ms_max":
            into[k] = max(into[k], v)
        elif isinstance(v, dict):
            for kk, vv in v.items():
                into[k][str(kk)] = into[k].get(str(kk), 0) + vv
        else:
            into[k] += v


class Breaker:
    """squall's policies/breaker.ts (consecutive or failure rate), one per worker process."""

    def __init__(self, b):
        self.b = b
        self.move_to("closed", count=False)

    def move_to(self, state, count=True):
        self.state = state
        self.failures = 0
        self.probes = 0
        self.probe_ok = 0
        self.window = []
        if state == "open":
            self.opened_at = time.time()
            if count:
                TOTALS["breaker_opened"] += 1

    def admits(self):
        if self.state == "open" and (time.time() - self.opened_at) * 1000 >= self.b["openMs"]:
            self.move_to("half_open")
        if self.state == "open":
            return False
        if self.state == "half_open":
            if self.probes >= self.b["halfOpenProbes"]:
                return False
            self.probes += 1
        return True

    def record(self, cls):
        """cls None: a refusal that says nothing about the upstream."""
        b = self.b
        if cls is None:
            if self.state == "half_open":
                self.probes -= 1
            return
        failed = cls in b["failOn"]
        if self.state == "half_open":
            if failed:
                self.move_to("open")
            else:
                self.probe_ok += 1
                if self.probe_ok >= b["halfOpenProbes"]:
                    self.move_to("closed")
            return
        if b["kind"] == "consecutive":
            self.failures = self.failures + 1 if failed else 0
            if self.failures >= b.get("threshold", 1):
                self.move_to("open")
            return
        now = time.time()
        self.window.append((now, failed))
        self.window = [r for r in self.window if r[0] * 1000 > now * 1000 - b.get("windowMs", 0)]
        failures = sum(1 for r in self.window if r[1])
        if len(self.window) >= b.get("minimumVolume", 1) and failures / len(self.window) >= b.get("failureRateThreshold", 1):
            self.move_to("open")


BREAKER = Breaker(STRATEGY["breaker"]) if STRATEGY["breaker"] else None


class Budget:
    """squall's policies/budget.ts, one per worker process."""

    def __init__(self, b):
        self.b = b
        self.tokens = b["quota"] if "quota" in b else b["maxTokens"] if b else 0

    def acquire(self, kind):
        b = self.b
        if "quota" in b:
            cost = b["timeoutCost"] if kind == "timeout" else b["retryCost"]
            if self.tokens < cost:
                return None
            self.tokens -= cost
            return cost
        return 0 if self.tokens > b["maxTokens"] / 2 else None

    def on_success(self, last_cost):
        b = self.b
        if "quota" in b:
            self.tokens = min(b["quota"], self.tokens + (b["successRefund"] if last_cost is None else last_cost))
        else:
            self.tokens = min(b["maxTokens"], js_round((self.tokens + b["tokenRatio"]) * 1000) / 1000)

    def on_failure(self):
        if "quota" not in self.b:
            self.tokens = max(0, js_round((self.tokens - 1) * 1000) / 1000)


BUDGET = Budget(STRATEGY["budget"]) if STRATEGY["budget"] else None


# ------------------------------------------------------------------------------------------------------
# One logical request: the fallback chain, the breaker, the retry loop and the attempts.


class Call:
    """A logical request in flight: its request, start (the intended arrival), attempts and the model that
    last failed for good (squall's recorder: an attempt on it again is a wasted retry)."""

    def __init__(self, session, base_url, environment, req, started_s, rng):
        self.session = session
        self.base_url = base_url
        self.environment = environment
        self.req = req
        self.started_s = started_s
        self.rng = rng
        self.attempts = 0
        self.client_failure_model = None

    def elapsed_ms(self):
        return (time.time() - self.started_s) * 1000

    def send(self, model, timeout_ms):
        self.attempts += 1
        TOTALS["attempts"] += 1
        if self.client_failure_model == model:
            TOTALS["wasted_retries"] += 1
        req = self.req
        path = PATHS[req["endpoint"]]
        headers = {
            "content-type": "application/json",
            "authorization": "Bearer " + req["apiKey"],
            # The mock decides an attempt from (seed, key): the same key gets the same decision from any
            # squall serve process, and squall's own run uses the same keys for the same request ids.
            # Numbered from 0, as squall's attemptNumber.
            "x-squall-attempt-key": "%s#%d" % (req["id"], self.attempts - 1),
        }
        o = {"status": 0, "errorCode": "", "errorMessage": "", "headers": {}, "timedOut": False}
        exception = None
        length = 0
        t0 = time.time()
        try:
            with gevent.Timeout(max(0.001, timeout_ms / 1000)):
                r = self.session.post(self.base_url + path, data=json.dumps(wire_body(req, model)), headers=headers, stream=True)
                try:
                    chunks = []
                    for chunk in r.iter_content(65536):
                        length += len(chunk)
                        if length > MAX_BODY_BYTES:
                            raise IOError("answer larger than %d bytes" % MAX_BODY_BYTES)
                        chunks.append(chunk)
                finally:
                    r.close()
            o["status"] = r.status_code
            o["headers"] = dict(r.headers)
            if r.status_code >= 400:
                try:
                    e = json.loads(b"".join(chunks)).get("error") or {}
                    o["errorCode"] = e.get("code") if isinstance(e.get("code"), str) else e.get("type") if isinstance(e.get("type"), str) else ""
                    o["errorMessage"] = e.get("message") if isinstance(e.get("message"), str) else ""
                except (ValueError, AttributeError):
                    pass  # Not JSON (a proxy's HTML page): classified by status alone.
        except gevent.Timeout:
            o["timedOut"] = True
            TOTALS["abandoned_attempts"] += 1
            exception = "timeout after %d ms" % timeout_ms
        except gevent.GreenletExit:
            self.fire(ATTEMPT, path, t0, length, "unfinished: the run ended")
            raise
        except (requests.RequestException, IOError) as e:
            exception = "network: %s" % type(e).__name__
        cls = classify(o, STRATEGY["classify"])
        if exception is None and cls != "success":
            exception = "%s: HTTP %d" % (cls, o["status"])
        self.fire(ATTEMPT, path, t0, length, exception)
        if failed_for_good(o):
            self.client_failure_model = model
        return o

    def fire(self, request_type, name, t0, length, exception):
        self.environment.events.request.fire(
            request_type=request_type,
            name=name,
            response_time=(time.time() - t0) * 1000,
            response_length=length,
            exception=exception,
            context={"request_id": self.req["id"], "model": self.req["model"]},
        )

    def retry_loop(self, model):
        """squall's policies/retry.ts, with the breaker inside it (per attempt) when the strategy puts it there."""
        b = BREAKER if STRATEGY["breaker"] and STRATEGY["breaker"]["scope"] == "attempt" else None
        state = {"retries": 0, "prevDelayMs": 0}
        last_cost = None
        last = {"outcome": None, "cls": "network", "rejectedBy": None}
        attempt = 0
        while True:
            attempt += 1
            if b and not b.admits():
                return dict(last, rejectedBy="breaker")
            remaining_ms = STRATEGY["deadlineMs"] - self.elapsed_ms()
            if remaining_ms <= 0:
                return dict(last, rejectedBy="deadline")
            o = self.send(model, min(STRATEGY["attemptTimeoutMs"], remaining_ms))
            cls = classify(o, STRATEGY["classify"])
            if b:
                b.record(cls)
            last = {"outcome": o, "cls": cls, "rejectedBy": None}
            if cls == "success":
                if BUDGET:
                    BUDGET.on_success(last_cost)
                return last
            if cls not in STRATEGY["retryOn"]:
                return last
            if BUDGET:
                BUDGET.on_failure()
            if attempt >= STRATEGY["maxAttempts"]:
                return last
            backoff_ms = next_delay_ms(STRATEGY["backoff"], state, self.rng)
            server_ms = server_delay_ms(o, time.time())
            delay_ms = backoff_ms if server_ms is None else server_ms
            if self.elapsed_ms() + delay_ms >= STRATEGY["deadlineMs"]:
                return dict(last, rejectedBy="deadline")
            if BUDGET:
                cost = BUDGET.acquire("timeout" if o["timedOut"] else "retry")
                if cost is None:
                    return last
                last_cost = cost
            TOTALS["retries"] += 1
            if delay_ms > 0:
                gevent.sleep(delay_ms / 1000)

    def guarded(self, run):
        """A breaker wrapping what is below it: refuses while open, records the logical outcome."""
        if not BREAKER.admits():
            return {"outcome": None, "cls": "client", "rejectedBy": "breaker"}
        final = run()
        BREAKER.record(None if final["rejectedBy"] else final["cls"])
        return final

    def model_call(self, model):
        if STRATEGY["breaker"] and STRATEGY["breaker"]["scope"] == "model":
            return self.guarded(lambda: self.retry_loop(model))
        return self.retry_loop(model)

    def fallback_chain(self, f):
        """squall's policies/fallback.ts: each model in order, routed per error."""
        last = None
        last_cls = "network"

        def with_last(r):
            return r if r["outcome"] or not last else dict(r, outcome=last, cls=last_cls)

        for i, model in enumerate(f["models"]):
            if i > 0:
                TOTALS["fallbacks"] += 1
            used = {}
            states = {}
            while True:
                final = self.model_call(model)
                if final["outcome"] and not final["rejectedBy"]:
                    last = final["outcome"]
                    last_cls = final["cls"]
                key = route_of(final, f["classify"])
                if key == "success":
                    return final
                if key == "terminal":
                    return with_last(final)
                route = f["routes"][key]
                if route["action"] == "fail":
                    return with_last(final)
                retried = used.get(key, 0)
                if route["action"] == "fallback" or retried >= route["retries"]:
                    break
                used[key] = retried + 1
                delay_ms = 0
                if route["backoff"]:
                    state = states.setdefault(key, {"retries": 0, "prevDelayMs": 0})
                    delay_ms = next_delay_ms(route["backoff"], state, self.rng)
                if self.elapsed_ms() + delay_ms >= STRATEGY["deadlineMs"]:
                    return with_last(dict(final, rejectedBy="deadline"))
                TOTALS["retries"] += 1
                if delay_ms > 0:
                    gevent.sleep(delay_ms / 1000)
        TOTALS["fallback_exhausted"] += 1
        return {"outcome": last, "cls": last_cls, "rejectedBy": "fallback"}

    def run(self):
        f = STRATEGY["fallback"]

        def inner():
            return self.fallback_chain(f) if f else self.model_call(self.req["model"])

        if STRATEGY["breaker"] and STRATEGY["breaker"]["scope"] == "request":
            return self.guarded(inner)
        return inner()


def route_of(final, c):
    """squall's fallback.ts routeKey: which route an outcome takes, or success / terminal to stop."""
    if final["rejectedBy"]:
        return "default" if final["rejectedBy"] == "breaker" else "terminal"
    o = final["outcome"]
    if not o:
        return "terminal"
    cls = classify(o, c)
    if cls == "success":
        return "success"
    if cls == "client":
        return "client"
    if o["status"] == 0:
        return "timeout" if o["timedOut"] else "network"
    if o["status"] in (429, 500, 503):
        return str(o["status"])
    return "default"


def record_logical(environment, req, started_s, final, length=0):
    """One logical request's row in Locust's statistics and in the totals; latency from the intended arrival."""
    ms = (time.time() - started_s) * 1000
    if final is None:
        outcome = "unfinished: the run ended"
    elif final.get("overloaded"):
        outcome = "overloaded: %d logical requests already in flight" % MAX_IN_FLIGHT
    elif final["rejectedBy"] == "fallback":
        outcome = "fallback_exhausted"
    elif final["rejectedBy"]:
        outcome = final["rejectedBy"] + "_rejected"
    elif final["cls"] == "success":
        outcome = None
    else:
        o = final["outcome"]
        outcome = "%s: %s" % (final["cls"], "timeout" if o["timedOut"] else "network" if o["status"] == 0 else "HTTP %d" % o["status"])
    TOTALS["offered"] += 1
    if final is None:
        TOTALS["unfinished"] += 1
    elif outcome is None:
        TOTALS["succeeded"] += 1
        TOTALS["success_ms_sum"] += ms
        TOTALS["success_ms_max"] = max(TOTALS["success_ms_max"], ms)
        key = str(bucket_ms(ms))
        TOTALS["success_ms"][key] = TOTALS["success_ms"].get(key, 0) + 1
    else:
        cls = outcome.split(":")[0]
        TOTALS["failed"][cls] = TOTALS["failed"].get(cls, 0) + 1
    environment.events.request.fire(
        request_type=LOGICAL,
        name=PATHS[req["endpoint"]],
        response_time=ms,
        response_length=length,
        exception=outcome,
        context={"request_id": req["id"], "model": req["model"]},
    )


def logical_request(session, base_url, environment, req, started_s, rng):
    final = None
    try:
        final = Call(session, base_url, environment, req, started_s, rng).run()
    finally:
        # A greenlet killed at the end of the run records its request as unfinished, then exits.
        record_logical(environment, req, started_s, final)


# ------------------------------------------------------------------------------------------------------
# Layout: the master numbers the dispatchers and fixes the start instant, then hands both to the workers
# in the options it sends with every spawn message.

STATE = {"layout": None, "dispatchers_here": 0, "master_totals": fresh_totals()}


def parse_start_time(text):
    """SQUALL_START_TIME: epoch ms or ISO 8601 with a zone, as `squall serve --start-time` takes."""
    if text.isdigit():
        return int(text) / 1000
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def worker_ids(runner):
    if isinstance(runner, MasterRunner):
        return sorted(c.id for c in runner.clients.ready + runner.clients.spawning + runner.clients.running)
    return ["local"]


@events.test_start.add_listener
def on_test_start(environment, **_kwargs):
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        return
    given = os.environ.get("SQUALL_START_TIME")
    t0 = parse_start_time(given) if given else time.time() + LEAD_S
    ids = worker_ids(runner)
    layout = {"t0": t0, "index": {wid: i for i, wid in enumerate(ids)}, "dispatchers": len(ids)}
    STATE["layout"] = layout
    STATE["master_totals"] = fresh_totals()
    if environment.parsed_options is not None:
        environment.parsed_options.squall_layout = layout


def layout_of(environment):
    opts = environment.parsed_options
    layout = getattr(opts, "squall_layout", None) if opts is not None else None
    return layout or STATE["layout"]


def base_url_of(environment):
    return (environment.host or os.environ.get("SQUALL_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def new_session():
    s = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=1000)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def idle_forever():
    while True:
        gevent.sleep(3600)


class Arrivals(User):
    """The open model. Locust users are closed loops (send, wait, send), so each worker runs one of these
    dispatchers: it starts every logical request at its arrival time in its own greenlet, whatever the
    answers to earlier ones, and the dispatchers share the arrivals between them."""

    wait_time = constant(0)
    abstract = TRAFFIC["kind"] == "closed"

    @task
    def dispatch(self):
        env = self.environment
        layout = layout_of(env)
        client_id = getattr(env.runner, "client_id", "local") if isinstance(env.runner, WorkerRunner) else "local"
        index = layout["index"].get(client_id) if layout else None
        STATE["dispatchers_here"] += 1
        if index is None or STATE["dispatchers_here"] > 1:
            # A worker that joined after the start, or a second user on one worker, must not send twice.
            env.runner.log_exception(client_id, "squall: dispatcher without a slot", "worker %s has no dispatcher slot (joined late, or got two users); it sends nothing" % client_id)
            idle_forever()
        rng = random.Random("%s/mix/%d/%d" % (SEED, layout["dispatchers"], index))
        session = new_session()
        base_url = base_url_of(env)
        pool = gevent.pool.Group()
        t0 = layout["t0"]
        for rid, t_ms in arrivals_for(index, layout["dispatchers"], rng):
            wait_s = t0 + t_ms / 1000 - time.time()
            if wait_s > 0:
                gevent.sleep(wait_s)
            req = sample_request(rid, rng)
            started_s = t0 + t_ms / 1000
            if len(pool) >= MAX_IN_FLIGHT:
                record_logical(env, req, started_s, {"overloaded": True})
                continue
            pool.spawn(logical_request, session, base_url, env, req, started_s, random.Random("%s/jitter/%s" % (SEED, rid)))
        end_s = t0 + (TRAFFIC["durationMs"] + TRAFFIC["drainMs"]) / 1000
        pool.join(timeout=max(0.0, end_s - time.time()))
        pool.kill(block=True, timeout=5)
        TOTALS["dispatchers_done"] += 1
        idle_forever()


class VirtualUser(User):
    """The closed model: each user sends, waits for the answer (the whole strategy), thinks, and sends again."""

    wait_time = constant(0)
    abstract = TRAFFIC["kind"] != "closed"
    count = 0

    @task
    def loop(self):
        env = self.environment
        layout = layout_of(env)
        VirtualUser.count += 1
        vu = "%s.%d" % (getattr(env.runner, "client_id", "local")[-6:], VirtualUser.count)
        rng = random.Random("%s/vu/%s" % (SEED, vu))
        session = new_session()
        base_url = base_url_of(env)
        t0 = layout["t0"]
        end_s = t0 + TRAFFIC["durationMs"] / 1000
        if time.time() < t0:
            gevent.sleep(t0 - time.time())
        iteration = 0
        while time.time() < end_s:
            req = sample_request("v%s.%d" % (vu, iteration), rng)
            g = gevent.spawn(logical_request, session, base_url, env, req, time.time(), random.Random("%s/jitter/%s" % (SEED, req["id"])))
            g.join(timeout=max(0.0, end_s + TRAFFIC["drainMs"] / 1000 - time.time()))
            g.kill(block=True, timeout=5)
            iteration += 1
            if TRAFFIC.get("thinkTimeMs"):
                gevent.sleep(sample_dist(TRAFFIC["thinkTimeMs"], 0, rng) / 1000)
        TOTALS["dispatchers_done"] += 1
        idle_forever()


class ScenarioShape(LoadTestShape):
    """Starts one dispatcher per worker (open model) or the scenario's virtual users (closed), keeps them for
    the scenario's duration and drain, and ends the run when every one of them has reported that it is done."""

    def tick(self):
        runner = self.runner
        workers = len(worker_ids(runner))
        users = TRAFFIC["virtualUsers"] if TRAFFIC["kind"] == "closed" else workers
        layout = STATE["layout"]
        if layout is not None:
            done = STATE["master_totals"]["dispatchers_done"] + (TOTALS["dispatchers_done"] if not isinstance(runner, MasterRunner) else 0)
            end_s = layout["t0"] + (TRAFFIC["durationMs"] + TRAFFIC["drainMs"]) / 1000
            if done >= users or time.time() > end_s + 10:
                return None
        return (users, max(1, users))


# ------------------------------------------------------------------------------------------------------
# Totals: each worker sends what it counted since its last report; the master adds them up.


@events.report_to_master.add_listener
def on_report_to_master(client_id, data, **_kwargs):
    data["squall_totals"] = json.loads(json.dumps(TOTALS))
    fresh = fresh_totals()
    TOTALS.clear()
    TOTALS.update(fresh)


@events.worker_report.add_listener
def on_worker_report(client_id, data, **_kwargs):
    if "squall_totals" in data:
        merge_totals(STATE["master_totals"], data["squall_totals"])


def run_totals(environment):
    if isinstance(environment.runner, MasterRunner):
        return STATE["master_totals"]
    return TOTALS


def percentile_ms(hist, q):
    """The smallest bucketed latency at or above a fraction q of the samples (Locust's own rule)."""
    n = sum(hist.values())
    if n == 0:
        return None
    need = n * q / 100
    seen = 0
    for ms in sorted(hist, key=float):
        seen += hist[ms]
        if seen >= need:
            return float(ms)
    return None


def metric_value(t, check):
    """A squall metric from the totals, defined as in src/metrics/thresholds.ts; None without samples."""
    m = check["metric"]
    offered = t["offered"]
    failed = sum(t["failed"].values())
    if m == "success_rate":
        return t["succeeded"] / offered if offered else None
    if m == "error_rate":
        return 1 - t["succeeded"] / offered if offered else None
    if m == "amplification":
        return t["attempts"] / offered if offered else None
    if m == "p":
        return percentile_ms(t["success_ms"], check["percentile"])
    if m == "latency_mean":
        return t["success_ms_sum"] / t["succeeded"] if t["succeeded"] else None
    if m == "latency_max":
        return t["success_ms_max"] if t["succeeded"] else None
    if m == "requests":
        return offered
    if m == "failed":
        return failed
    return t[m]


def compare(value, op, limit):
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit, "==": value == limit, "!=": value != limit}[op]


def summary_of(environment):
    t = run_totals(environment)
    results = []
    for check in CHECKS:
        value = metric_value(t, check)
        ok = value is not None and compare(value, check["op"], check["value"])
        results.append({"source": check["source"], "value": value, "passed": ok})
    offered = t["offered"]
    return {
        "scenario": SCENARIO,
        "strategy": STRATEGY["name"],
        "seed": SEED,
        "requests": {"offered": offered, "succeeded": t["succeeded"], "failed": t["failed"], "unfinished": t["unfinished"]},
        "successRate": t["succeeded"] / offered if offered else None,
        "attempts": t["attempts"],
        "amplification": t["attempts"] / offered if offered else None,
        "events": {k: t[k] for k in ("retries", "wasted_retries", "abandoned_attempts", "breaker_opened", "fallbacks", "fallback_exhausted")},
        "thresholds": results,
    }


@events.quitting.add_listener
def on_quitting(environment, **_kwargs):
    if isinstance(environment.runner, WorkerRunner):
        return
    summary = summary_of(environment)
    lines = ["squall: %s / %s: %d logical requests, success rate %s, %d attempts (amplification %s), %d unfinished" % (
        SCENARIO, STRATEGY["name"], summary["requests"]["offered"],
        "n/a" if summary["successRate"] is None else "%.4f" % summary["successRate"],
        summary["attempts"], "n/a" if summary["amplification"] is None else "%.4f" % summary["amplification"],
        summary["requests"]["unfinished"])]
    for r in summary["thresholds"]:
        shown = "no samples" if r["value"] is None else "%.6g" % r["value"]
        lines.append("squall: threshold %s: %s (%s)" % ("passed" if r["passed"] else "FAILED", r["source"], shown))
    print("\n".join(lines), flush=True)
    path = os.environ.get("SQUALL_SUMMARY")
    if path:
        with open(path, "w") as fh:
            json.dump(summary, fh, indent=2)
    if environment.runner.exceptions:
        environment.process_exit_code = 1
    else:
        environment.process_exit_code = 0 if all(r["passed"] for r in summary["thresholds"]) else 99

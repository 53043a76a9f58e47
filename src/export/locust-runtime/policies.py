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


# JavaScript's parseFloat: the longest number at the start (after spaces), the rest ignored; NaN if none.
JS_FLOAT = re.compile(r"\s*([+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))")


def js_parse_float(v):
    m = JS_FLOAT.match(v)
    if not m:
        return math.nan
    text = m.group(1)
    return float(text.replace("Infinity", "inf"))


def parse_retry_after_ms(headers, now_s):
    """squall's retry-after.ts, which reads the headers as the openai SDK does: retry-after-ms (parseFloat,
    ms; any number settles it), then retry-after (parseFloat, seconds; else an HTTP date against the
    clock). None unless the result is finite and not negative."""
    ms = None
    raw = header(headers, "retry-after-ms")
    if raw:
        n = js_parse_float(raw)
        if not math.isnan(n):
            ms = n
    if ms is None:
        after = header(headers, "retry-after")
        if not after:
            return None
        seconds = js_parse_float(after)
        if not math.isnan(seconds):
            ms = seconds * 1000
        else:
            try:
                ms = (parsedate_to_datetime(after).timestamp() - now_s) * 1000
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
    return ms if math.isfinite(ms) and ms >= 0 else None


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
    "fallback_exhausted": 0, "success_ms_sum": 0.0, "success_ms_max": 0.0, "success_ms": {}, "failure_ms": {},
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



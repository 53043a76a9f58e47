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
                # AWS TRANSIENT (no answer, 500/502/503/504) costs timeoutCost: squall's policies/retry.ts isAwsTransient.
                cost = BUDGET.acquire("timeout" if o["status"] == 0 or o["status"] in (500, 502, 503, 504) else "retry")
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
        what = "no answer" if o is None else "timeout" if o["timedOut"] else "network" if o["status"] == 0 else "HTTP %d" % o["status"]
        outcome = "%s: %s" % (final["cls"], what)
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
        key = str(bucket_ms(ms))
        TOTALS["failure_ms"][key] = TOTALS["failure_ms"].get(key, 0) + 1
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



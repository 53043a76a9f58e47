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
    # A new test (the web UI can start several) starts from nothing on every process.
    STATE["dispatchers_here"] = 0
    VirtualUser.count = 0
    TOTALS.clear()
    TOTALS.update(fresh_totals())
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
            req = request_for(rid, rng)
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
    if m == "failure_p95":
        return percentile_ms(t["failure_ms"], 95)
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

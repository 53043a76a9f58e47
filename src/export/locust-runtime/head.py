# @squall:header
# The runtime of every locustfile `squall export locust` writes, in five parts that src/export/locust.ts
# joins in this order: head.py (imports, constants, limits), traffic.py (arrivals, request mix),
# policies.py (classification, backoff, Retry-After, breaker, budget), call.py (one logical request),
# run.py (Locust users, the shape, totals and the threshold check). locust.ts replaces the header above and
# the constants below. It mirrors squall's classify.ts, backoff/*.ts, retry-after.ts, policies/retry.ts,
# breaker.ts and fallback.ts rule for rule, as src/export/k6-runtime.ts does for k6: a change there needs
# the same change here. test/export/locust-structure.test.ts compiles every part and checks the formulas
# against squall's. Joined with the defaults below, the parts are a runnable locustfile (one request a
# second for ten seconds).
import json
import math
import os
import random
import re
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



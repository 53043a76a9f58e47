# Locust against `squall serve` (the first article's author ran Locust); test/cli/tools.test.ts runs it.
# Run: locust -f docs/examples/locustfile.py --headless -u 20 -r 5 -t 1m --host http://127.0.0.1:8787
import os

import gevent
from locust import HttpUser, constant_pacing, task

# Optional: stop once this many requests have been made (the test sets it, so it asserts what the file did,
# not how many requests a loaded machine fits into a time limit). 0: run until -t.
STOP_AFTER_REQUESTS = int(os.environ.get("STOP_AFTER_REQUESTS", "0"))


class ChatUser(HttpUser):
    wait_time = constant_pacing(1)

    @task
    def chat(self):
        with self.client.post(
            "/v1/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 64},
            headers={"authorization": "Bearer sk-locust"},
            catch_response=True,
        ) as r:
            # squall answers 429 with retry-after-ms, like the real API.
            if r.status_code == 429:
                r.failure(f"429, retry after {r.headers.get('retry-after-ms')} ms")
        if STOP_AFTER_REQUESTS and self.environment.stats.total.num_requests >= STOP_AFTER_REQUESTS:
            # From its own greenlet: quit() stops every user, this one included, before it ends the run.
            gevent.spawn(self.environment.runner.quit)

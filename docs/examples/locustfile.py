# Locust against `squall serve` (the first article's author ran Locust); test/cli/tools.test.ts runs it.
# Run: locust -f docs/examples/locustfile.py --headless -u 20 -r 5 -t 1m --host http://127.0.0.1:8787
from locust import HttpUser, constant_pacing, task


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

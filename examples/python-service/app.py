"""A small chat service that calls an OpenAI-compatible API, written the two ways the article
"How I Learned to Stop Worrying and Build Resilient OpenAI API Calls" describes:

  RETRY_MODE=fixed   the original code: retry with time.sleep(2) between tries ("my code dutifully retried
                     five times with 2-second intervals")
  RETRY_MODE=jitter  the fix: exponential backoff with random jitter, 3 retries at most
                     ("I changed it to time.sleep(random.uniform(0, 2**attempt))"; "3 retries max with
                     exponential backoff and jitter"). tenacity's wait_random_exponential(multiplier=1)
                     waits the same: uniform(0, 2**attempt).

Standard library only (http.server, urllib), so it runs on any Python 3.9+ with nothing to install.

Environment:
  OPENAI_BASE_URL   the API base URL, e.g. http://127.0.0.1:8787/v1 (squall sets it to its mock)
  OPENAI_API_KEY    sent as the bearer token (default sk-squall-example)
  RETRY_MODE        fixed | jitter (default jitter)
  PORT, HOST        where the service listens (default 127.0.0.1:8765)
  WORKERS           requests handled at once (default 32, ThreadPoolExecutor's upper default); the rest wait
  MAX_WAITING       requests allowed to wait for a worker before the service answers 503 (default 1000)
  UPSTREAM_TIMEOUT  seconds per upstream call (default 30)

Endpoints: POST /chat {"prompt", "model", "max_tokens", "user"} -> 200 {"answer", "attempts"};
503 when the upstream kept failing, 502 when it refused the request; GET /healthz -> 200.
The x-squall-request-id header is forwarded to the upstream, so squall can join upstream attempts to the
request that caused them.
"""

import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE_URL = os.environ.get("OPENAI_BASE_URL", "").rstrip("/")
API_KEY = os.environ.get("OPENAI_API_KEY", "sk-squall-example")
RETRY_MODE = os.environ.get("RETRY_MODE", "jitter")
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8765"))
WORKERS = int(os.environ.get("WORKERS", "32"))
MAX_WAITING = int(os.environ.get("MAX_WAITING", "1000"))
UPSTREAM_TIMEOUT = float(os.environ.get("UPSTREAM_TIMEOUT", "30"))
MAX_BODY_BYTES = 1 << 20

# Statuses worth another try (the article: "Transient errors are your 429s, 500s and 503s").
TRANSIENT = {429, 500, 502, 503, 504}

workers = threading.BoundedSemaphore(WORKERS)
waiting = 0
waiting_lock = threading.Lock()


class UpstreamError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status  # None for a network error


def call_upstream(payload, request_id):
    """One call to /chat/completions; returns the parsed answer or raises UpstreamError."""
    headers = {"authorization": f"Bearer {API_KEY}", "content-type": "application/json"}
    if request_id:
        headers["x-squall-request-id"] = request_id
    req = urllib.request.Request(
        f"{BASE_URL}/chat/completions", data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=UPSTREAM_TIMEOUT) as res:
            return json.loads(res.read())
    except urllib.error.HTTPError as e:
        e.read()
        raise UpstreamError(e.code, f"upstream answered {e.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise UpstreamError(None, f"upstream call failed: {e}") from None


def retryable(e):
    return e.status is None or e.status in TRANSIENT


def with_fixed_retries(call):
    """The original: five retries, two seconds apart, whatever the error."""
    for attempt in range(6):
        try:
            return call(), attempt + 1
        except UpstreamError as e:
            if attempt == 5 or not retryable(e):
                raise
            time.sleep(2)


def with_jittered_backoff(call):
    """The fix: three retries at most, waiting uniform(0, 2**attempt) seconds before each."""
    for attempt in range(4):
        try:
            return call(), attempt + 1
        except UpstreamError as e:
            if attempt == 3 or not retryable(e):
                raise
            time.sleep(random.uniform(0, 2 ** (attempt + 1)))


RETRY = {"fixed": with_fixed_retries, "jitter": with_jittered_backoff}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # one line per request is too much at 30 requests a second
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200, {"ok": True, "retry_mode": RETRY_MODE})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return self.reply(413, {"error": "body too large"})
        raw = self.rfile.read(length)
        if self.path != "/chat":
            return self.reply(404, {"error": "not found"})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self.reply(400, {"error": "body is not JSON"})
        global waiting
        with waiting_lock:
            if waiting >= MAX_WAITING:
                return self.reply(503, {"error": "too many requests waiting"})
            waiting += 1
        # A worker for the whole request, retries and sleeps included: blocking sleeps hold it.
        workers.acquire()
        with waiting_lock:
            waiting -= 1
        try:
            self.chat(body)
        finally:
            workers.release()

    def chat(self, body):
        payload = {
            "model": body.get("model", "gpt-4o-mini"),
            "messages": [{"role": "user", "content": str(body.get("prompt", "Hello"))}],
            "max_tokens": int(body.get("max_tokens", 256)),
        }
        if body.get("user"):
            payload["user"] = str(body["user"])
        request_id = self.headers.get("x-squall-request-id")
        try:
            answer, attempts = RETRY[RETRY_MODE](lambda: call_upstream(payload, request_id))
        except UpstreamError as e:
            return self.reply(503 if retryable(e) else 502, {"error": str(e)})
        text = answer.get("choices", [{}])[0].get("message", {}).get("content", "")
        self.reply(200, {"answer": text, "attempts": attempts})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    if not BASE_URL:
        sys.exit("OPENAI_BASE_URL is not set (e.g. http://127.0.0.1:8787/v1)")
    if RETRY_MODE not in RETRY:
        sys.exit(f"RETRY_MODE must be one of {', '.join(RETRY)}, got {RETRY_MODE!r}")
    server = Server((HOST, PORT), Handler)
    print(f"listening on http://{HOST}:{PORT} (RETRY_MODE={RETRY_MODE}, upstream {BASE_URL})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

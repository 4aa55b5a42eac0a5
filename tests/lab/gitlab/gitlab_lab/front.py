"""The HTTP front: request handling (LabApp, shared with in-process transports), the fault and latency layer, the
request log, the /__lab__/ control API, main()."""

import argparse
import json
import os
import signal
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import deliveries
from .params import ApiError, add_param, form_pairs
from .profiles import PROFILES, Profile, parse_switches
from .resources.auth import authenticate
from .routes import RouteTable
from .state import LabState

FAULT_STATUSES = (429, 500, 502, 503, 504)
FAULT_BODIES = {
    500: ("application/json", json.dumps({"message": "500 Internal Server Error"})),
    502: (
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head><title>GitLab is not responding (502)</title></head>"
        "<body><h1>502</h1><h3>Whoops, GitLab is taking too much time to respond.</h3></body></html>\n",
    ),
    503: ("application/json", json.dumps({"message": "503 Service Unavailable"})),
    504: (
        "text/html; charset=utf-8",
        "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>\n",
    ),
}
# Rack::Attack's throttled response (GitLab's throttles); Gitlab::ApplicationRateLimiter's JSON text.
RACK_ATTACK_TEXT = "Retry later\n"
APPLICATION_LIMITER_TEXT = "This endpoint has been requested too many times. Try again later."
MAX_DELAY_MS = 60000


class Context:
    """One API request as the resource handlers see it."""

    def __init__(self, request, state, params, match):
        self.request = request
        self.state = state
        self.profile = state.profile
        self.method = request.method
        self.path = request.path
        self.query = request.query
        self.params = params
        self.match = match
        self.user = None
        self.deliveries = []

    @property
    def base_url(self):
        return "http://%s" % self.request.host

    def header(self, name):
        return self.request.header(name)


class Request:
    """One HTTP request as the lab reads it, whoever carried it (the HTTP server, or a test's transport adapter)."""

    def __init__(self, method, target, headers, body, host):
        parts = urlsplit(target)
        self.method = method.upper()
        self.path = parts.path
        self.query = parts.query
        self.headers = {name.lower(): value for name, value in (headers or {}).items()}
        self.body = body or b""
        self.host = self.header("Host") or host

    def header(self, name):
        return self.headers.get(name.lower())


class Answer:
    """What the lab answers: status, headers and the body as bytes (empty for HEAD and 204)."""

    def __init__(self, status, body, headers=None, method="GET"):
        self.status = status
        self.headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            payload = json.dumps(body, separators=(",", ":")).encode()
            self.headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            payload = body.encode()
            self.headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            payload = b""
        if status != 204:
            self.headers["Content-Length"] = str(len(payload))
        self.body = payload if method != "HEAD" and status != 204 else b""


class LabApp:
    """The lab's request handling without the HTTP plumbing: control API first; then latency, faults, routing,
    authentication, the resource, the request log. Both the HTTP server and in-process transports call serve()."""

    def __init__(self, state):
        self.state = state
        self.routes = RouteTable(state.profile)

    def serve(self, request):
        """The Answer to a Request (hook deliveries the request triggers are sent before it returns)."""
        if request.path.startswith("/__lab__/"):
            return self.serve_control(request)
        state = self.state
        # Latency waits outside the lock, so overlapping requests really overlap.
        wait(state.take_latency(request.method, request.path, "before"))
        status, body, headers, prepared = self.serve_gitlab(request)
        wait(state.take_latency(request.method, request.path, "after"))
        if prepared:
            deliveries.send(state, prepared)
        state.log_request(request.method, request.path, request.query, status)
        return Answer(status, body, headers, request.method)

    def serve_gitlab(self, request):
        state = self.state
        with state.lock:
            fault = state.take_fault(request.method, request.path)
            if fault:
                status, body, headers = fault_answer(state.profile, fault)
                return status, body, headers, []
            try:
                handler, access, match = self.routes.resolve(request.method, request.path)
                ctx = Context(request, state, parse_params(request), match)
                if access is not None:
                    authenticate(ctx, access == "admin")
                answer = handler(ctx)
                headers = answer[2] if len(answer) > 2 else {}
                return answer[0], answer[1], headers, ctx.deliveries
            except ApiError as exc:
                return exc.status, exc.body, exc.headers, []

    def serve_control(self, request):
        try:
            body = json.loads(request.body) if request.body else {}
        except ValueError:
            return Answer(400, {"error": "body must be JSON"})
        with self.state.lock:
            status, answer = control(self.state, request.method, request.path.rstrip("/"), body)
        return Answer(status, answer, method=request.method)


def wait(seconds):
    # No call at all without latency: a test that counts its own time.sleep calls sees only those.
    if seconds:
        time.sleep(seconds)


def parse_params(request):
    params = {}
    for key, value in form_pairs(request.query):
        add_param(params, key, value)
    raw = request.body
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if raw:
        if content_type == "application/json" or (not content_type and raw[:1] in (b"{", b"[")):
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise ApiError(400, {"error": "The provided content-type 'application/json' is not supported or the body is not valid JSON."}) from exc
            if isinstance(body, dict):
                params.update(body)
        else:
            for key, value in form_pairs(raw.decode("utf-8", "replace")):
                add_param(params, key, value)
    return params


def fault_answer(profile, fault):
    """(status, body, headers) of an injected fault."""
    status = fault["status"]
    retry_after = int(fault.get("retry_after") or 1)
    if status == 429 and fault.get("limiter") == "application":
        return status, {"message": {"error": APPLICATION_LIMITER_TEXT}}, {"Retry-After": str(retry_after)}
    if status == 429:
        headers = {"Content-Type": "text/plain", "Retry-After": str(retry_after)}
        if profile.has("rate_limit_headers"):
            reset = int(time.time()) + retry_after
            headers.update(
                {
                    "RateLimit-Name": "throttle_authenticated_api",
                    "RateLimit-Limit": "2000",
                    "RateLimit-Observed": "2001",
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(reset),
                    "RateLimit-ResetTime": formatdate(reset, usegmt=True),
                }
            )
        return status, RACK_ATTACK_TEXT, headers
    headers = {}
    if "retry_after" in fault:
        headers["Retry-After"] = str(retry_after)
    content_type, text = FAULT_BODIES.get(status, ("text/plain; charset=utf-8", "%d\n" % status))
    headers["Content-Type"] = content_type
    return status, text, headers


class Handler(BaseHTTPRequestHandler):
    """HTTP plumbing around LabApp: reads the request, writes its answer."""

    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "nginx"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_HEAD(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_POST(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_PUT(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_DELETE(self):  # pylint: disable=invalid-name
        self.handle_any()

    def do_PATCH(self):  # pylint: disable=invalid-name
        self.handle_any()

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        host = "%s:%s" % self.server.server_address[:2]
        answer = self.server.app.serve(Request(self.command, self.path, self.headers, raw, host))
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if answer.body:
            self.wfile.write(answer.body)


def control(state, method, path, body):
    """The /__lab__/ control API: (status, body)."""
    key = (method, path)
    listings = {
        "/__lab__/requests": ("requests", state.requests),
        "/__lab__/faults": ("faults", state.faults),
        "/__lab__/latency": ("latency", state.latencies),
    }
    if method == "GET" and path == "/__lab__/deliveries":
        return 200, list(state.deliveries)
    if method == "DELETE" and path == "/__lab__/deliveries":
        state.deliveries.clear()
        return 204, None
    if path in listings and method == "GET":
        name, items = listings[path]
        return 200, {name: list(items)}
    if path in listings and method == "DELETE":
        listings[path][1].clear()
        return 204, None
    if key == ("POST", "/__lab__/faults"):
        problem = check_fault(body)
        if problem:
            return 400, {"error": problem}
        return add_rule(state.faults, {"status": body["status"], "count": body.get("count", 1)}, body, ("method", "path_prefix", "retry_after", "limiter"))
    if key == ("POST", "/__lab__/latency"):
        problem = check_latency(body)
        if problem:
            return 400, {"error": problem}
        return add_rule(state.latencies, {"delay_ms": body["delay_ms"], "when": body.get("when", "after")}, body, ("method", "path_prefix", "count"))
    if key == ("POST", "/__lab__/reset"):
        state.reset()
        return 200, {"profile": state.profile.name, "version": state.profile.version}
    if key == ("POST", "/__lab__/seed"):
        return seed(state, body)
    if key == ("GET", "/__lab__/info"):
        return 200, state.profile.describe()
    return 404, {"error": "unknown lab control endpoint"}


def add_rule(rules, rule, body, optional):
    """Add a fault or latency rule with the optional keys the body gives; (201, rule)."""
    for name in optional:
        if body.get(name) is not None:
            rule[name] = body[name]
    rules.append(rule)
    return 201, rule


def check_fault(body):
    if not isinstance(body, dict) or body.get("status") not in FAULT_STATUSES:
        return "status must be one of %s" % ", ".join(str(status) for status in FAULT_STATUSES)
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        return "count must be a positive integer"
    if body.get("limiter", "rack_attack") not in ("rack_attack", "application"):
        return "limiter must be rack_attack or application"
    return None


def check_latency(body):
    if not isinstance(body, dict):
        return "body must be a JSON object"
    delay = body.get("delay_ms")
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY_MS:
        return "delay_ms must be an integer from 0 to %d" % MAX_DELAY_MS
    if body.get("when", "after") not in ("before", "after"):
        return "when must be before or after"
    count = body.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        return "count must be a positive integer"
    for name in ("method", "path_prefix"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return "%s must be a string" % name
    return None


def seed(state, body):
    if not isinstance(body, dict):
        return 400, {"error": "body must be a JSON object"}
    counts = {}
    for name in ("hooks", "applications"):
        value = body.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return 400, {"error": "%s must be a non-negative integer" % name}
        counts[name] = value
    for index in range(1, counts["hooks"] + 1):
        state.add_hook({"url": "http://127.0.0.1:9/seed-%d" % index})
    for index in range(1, counts["applications"] + 1):
        state.add_application("seed-%d" % index, "http://127.0.0.1:9/seed-%d/callback" % index, ["api"], True)
    return 201, counts


class LabServer(ThreadingHTTPServer):
    """Threading HTTP server that carries the lab state and its route table."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, state, verbose=False):
        super().__init__(address, Handler)
        self.state = state
        self.app = LabApp(state)
        self.verbose = verbose


def write_port_file(path, port):
    """Atomically: readers never see a partial file."""
    partial = path + ".tmp"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write("%d\n" % port)
    os.replace(partial, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Lab GitLab (REST API v4 subset) for tests.")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="modern")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--feature", action="append", metavar="NAME=on|off")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        profile = Profile(args.profile, parse_switches(args.feature))
    except ValueError as exc:
        parser.error(str(exc))

    server = LabServer((args.host, args.port), LabState(profile), args.verbose)
    if args.port_file:
        write_port_file(args.port_file, server.server_address[1])

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()

"""The lab control API: faults, request log, reset, seed."""

import re
import threading
import time

import pytest
import requests

from .gitlab_lab.tokens import ADMIN_TOKEN


def test_rate_limit_fault(lab):
    lab.control("POST", "faults", {"status": 429, "count": 1, "retry_after": 3})
    throttled = lab.api("GET", "/hooks")
    assert throttled.status_code == 429
    assert throttled.headers["Content-Type"] == "text/plain"
    assert throttled.text == "Retry later\n"
    headers = throttled.headers
    assert headers["Retry-After"] == "3"
    if lab.profile == "modern":
        assert headers["RateLimit-Remaining"] == "0"
        assert int(headers["RateLimit-Limit"]) > 0
        assert re.fullmatch(r"\d{10}", headers["RateLimit-Reset"])
        assert headers["RateLimit-ResetTime"].endswith("GMT")
    else:
        assert not [name for name in headers if name.lower().startswith("ratelimit-")]
    assert lab.api("GET", "/hooks").status_code == 200


def test_application_rate_limiter_fault(lab):
    lab.control("POST", "faults", {"status": 429, "limiter": "application", "retry_after": 2})
    throttled = lab.api("POST", "/hooks", data={"url": "http://127.0.0.1:9/x"})
    assert throttled.status_code == 429
    assert throttled.json() == {"message": {"error": "This endpoint has been requested too many times. Try again later."}}
    assert throttled.headers["Retry-After"] == "2"


def test_fault_filters_and_count(lab):
    lab.control("POST", "faults", {"status": 503, "count": 2, "method": "POST", "path_prefix": "/api/v4/hooks"})
    assert lab.api("GET", "/hooks").status_code == 200
    assert lab.api("POST", "/applications", data={"name": "k", "redirect_uri": "http://k/cb", "scopes": "api"}).status_code == 201
    first = lab.api("POST", "/hooks", data={"url": "http://127.0.0.1:9/x"})
    assert first.status_code == 503
    assert first.json() == {"message": "503 Service Unavailable"}
    assert lab.api("POST", "/hooks", data={"url": "http://127.0.0.1:9/x"}).status_code == 503
    assert lab.api("POST", "/hooks", data={"url": "http://127.0.0.1:9/x"}).status_code == 201
    assert lab.api("GET", "/hooks").json()[0]["url"] == "http://127.0.0.1:9/x"


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_error_faults(lab, status):
    lab.control("POST", "faults", {"status": status})
    answer = lab.api("GET", "/version")
    assert answer.status_code == status
    if status == 500:
        assert answer.json() == {"message": "500 Internal Server Error"}
    else:
        assert answer.headers["Content-Type"].startswith("text/html")


def test_bad_fault_is_refused(lab):
    answer = lab.session.post(lab.url + "/__lab__/faults", json={"status": 418}, timeout=30)
    assert answer.status_code == 400


def test_request_log(lab):
    lab.api("GET", "/hooks", params={"per_page": 5})
    lab.api("POST", "/hooks", data={"url": "ftp://x"})
    lab.api("GET", "/nowhere")
    log = lab.requests_log()
    assert log == [
        {"method": "GET", "path": "/api/v4/hooks", "query": "per_page=5", "status": 200},
        {"method": "POST", "path": "/api/v4/hooks", "query": "", "status": 422 if lab.profile == "modern" else 400},
        {"method": "GET", "path": "/api/v4/nowhere", "query": "", "status": 404},
    ]
    lab.control("DELETE", "requests")
    assert lab.requests_log() == []


def test_reset_keeps_users_and_tokens(lab):
    lab.control("POST", "seed", {"hooks": 3, "applications": 2})
    lab.api("PUT", "/application/settings", data={"signup_enabled": "false"})
    lab.reset()
    assert lab.api("GET", "/hooks").json() == []
    listed = lab.api("GET", "/applications")
    assert listed.json() == ({"error": "404 Not Found"} if lab.profile == "legacy" else [])
    assert lab.api("GET", "/application/settings").json()["signup_enabled"] is True
    assert lab.api("GET", "/user").json()["username"] == "root"
    assert lab.requests_log() == [
        {"method": "GET", "path": "/api/v4/hooks", "query": "", "status": 200},
        {"method": "GET", "path": "/api/v4/applications", "query": "", "status": listed.status_code},
        {"method": "GET", "path": "/api/v4/application/settings", "query": "", "status": 200},
        {"method": "GET", "path": "/api/v4/user", "query": "", "status": 200},
    ]


def test_seed_a_thousand(lab):
    assert lab.control("POST", "seed", {"hooks": 1000, "applications": 1000}) == {"hooks": 1000, "applications": 1000}
    hooks = lab.api("GET", "/hooks", params={"per_page": 100, "page": 10})
    assert hooks.headers["X-Total"] == "1000"
    assert hooks.json()[-1]["url"] == "http://127.0.0.1:9/seed-1000"
    if lab.profile == "legacy":
        return
    apps = lab.api("GET", "/applications").json()
    assert len(apps) == 1000
    assert apps[0]["application_name"] == "seed-1"


def test_latency_rule_delays_matching_requests_only(lab):
    rule = lab.control("POST", "latency", {"delay_ms": 400, "method": "GET", "path_prefix": "/api/v4/hooks", "count": 1})
    assert rule == {"delay_ms": 400, "when": "after", "method": "GET", "path_prefix": "/api/v4/hooks", "count": 1}
    assert lab.control("GET", "latency") == {"latency": [rule]}
    assert lab.api("GET", "/version").status_code == 200
    assert lab.api("POST", "/hooks", data={"url": "http://127.0.0.1:9/x"}).status_code == 201
    assert lab.control("GET", "latency") == {"latency": [rule]}, "only a matching request uses the rule up"
    started = time.monotonic()
    assert lab.api("GET", "/hooks").status_code == 200
    assert time.monotonic() - started >= 0.4
    assert lab.control("GET", "latency") == {"latency": []}


def test_latency_does_not_block_other_requests(lab):
    # An "after" rule serves the request first: a request overlapping it sees its write and answers at once.
    lab.control("POST", "latency", {"delay_ms": 1500, "method": "POST", "path_prefix": "/api/v4/hooks"})
    slow = threading.Thread(target=lab.api, args=("POST", "/hooks"), kwargs={"data": {"url": "http://127.0.0.1:9/slow"}})
    slow.start()
    try:
        time.sleep(0.5)
        listed = lab.api("GET", "/hooks").json()
        assert slow.is_alive(), "the delayed answer is still on its way"
        assert [hook["url"] for hook in listed] == ["http://127.0.0.1:9/slow"]
    finally:
        slow.join()
    lab.control("DELETE", "latency")
    assert lab.control("GET", "latency") == {"latency": []}


def test_latency_before_and_reset(lab):
    lab.control("POST", "latency", {"delay_ms": 300, "when": "before"})
    started = time.monotonic()
    lab.api("GET", "/version")
    assert time.monotonic() - started >= 0.3
    lab.reset()
    assert lab.control("GET", "latency") == {"latency": []}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"delay_ms": -1},
        {"delay_ms": 60001},
        {"delay_ms": True},
        {"delay_ms": 10, "when": "during"},
        {"delay_ms": 10, "count": 0},
        {"delay_ms": 10, "method": 3},
    ],
)
def test_bad_latency_is_refused(lab, body):
    answer = lab.session.post(lab.url + "/__lab__/latency", json=body, timeout=30)
    assert answer.status_code == 400
    assert "error" in answer.json()


def test_latency_widens_the_window_between_read_and_write(lab):
    # What the fault is for: two runs that each read, then create when nothing was found, both create.
    url = "http://127.0.0.1:9/koding"
    lab.control("POST", "latency", {"delay_ms": 800, "method": "GET", "path_prefix": "/api/v4/hooks"})
    headers = {"PRIVATE-TOKEN": ADMIN_TOKEN}

    def read_then_create():
        listed = requests.get(lab.url + "/api/v4/hooks", headers=headers, timeout=30).json()
        if not [hook for hook in listed if hook["url"] == url]:
            requests.post(lab.url + "/api/v4/hooks", headers=headers, data={"url": url}, timeout=30)

    runs = [threading.Thread(target=read_then_create), threading.Thread(target=read_then_create)]
    for run in runs:
        run.start()
        time.sleep(0.1)
    for run in runs:
        run.join()
    lab.control("DELETE", "latency")
    assert [hook["url"] for hook in lab.api("GET", "/hooks").json()] == [url, url]

# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The lab GitLab (tests/lab/gitlab) in process: a requests transport adapter hands each request the modules send to
the lab's own request handling (LabApp), so the unit tests and the integration targets hold the modules against one
model of GitLab. Faults come from the lab's fault and latency layer (its /__lab__/ control API); only a lost answer
(the request served, the answer never read) is played here, in the transport."""

from __future__ import annotations

import io
import json
import secrets
import time
from urllib.parse import parse_qsl, urlsplit

import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_api
from ansible_collections.koding.gitlab.tests.lab.gitlab.gitlab_lab import profiles, tokens
from ansible_collections.koding.gitlab.tests.lab.gitlab.gitlab_lab.front import Answer, LabApp, Request
from ansible_collections.koding.gitlab.tests.lab.gitlab.gitlab_lab.params import digest
from ansible_collections.koding.gitlab.tests.lab.gitlab.gitlab_lab.state import LabState
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

ROOT = 'http://gitlab.test'
API = '/api/v4'
ADMIN_TOKEN = tokens.ADMIN_TOKEN
USER_TOKEN = tokens.USER_TOKEN

# Every profile the lab plays; those the modules support, and those that serve only /api/v3 (the modules refuse them).
ALL_PROFILES = sorted(profiles.PROFILES, key=lambda name: profiles.version_tuple(profiles.PROFILES[name]['version']))
SUPPORTED_PROFILES = [name for name in ALL_PROFILES if profiles.Profile(name).has('api_v4')]
API_V3_ONLY_PROFILES = [name for name in ALL_PROFILES if not profiles.Profile(name).has('api_v4')]


def profiles_with(*features, **absent):
    """The supported profiles that have every feature named (and, given as name=False, lack those)."""
    chosen = []
    for name in SUPPORTED_PROFILES:
        profile = profiles.Profile(name)
        if all(profile.has(feature) for feature in features) and all(profile.has(feature) == value for feature, value in absent.items()):
            chosen.append(name)
    return chosen


class Call(dict):
    """One request as a test looks at it: method, path (after /api/v4, or 'v3:' + path), params, data, status and
    the headers it carried."""


class LabAdapter(BaseAdapter):
    """Hands a prepared request to the lab and returns a real requests.Response (body streamed, as from a socket)."""

    def __init__(self, gitlab):
        super().__init__()
        self.gitlab = gitlab

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # pylint: disable=too-many-arguments,unused-argument
        parts = urlsplit(request.url)
        body = request.body or b''
        if isinstance(body, str):
            body = body.encode('utf-8')
        target = parts.path + ('?' + parts.query if parts.query else '')
        self.gitlab.take_before(request.method, parts.path)
        answer = self.gitlab.app.serve(Request(request.method, target, dict(request.headers), body, parts.netloc))
        self.gitlab.record(request.method, parts.path, parts.query, body, answer.status, request.headers)
        lost = self.gitlab.take_lost(request.method, parts.path)
        if isinstance(lost, BaseException):
            raise lost
        if lost is not None:
            answer = Answer(lost, 'Bad Gateway')
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.body),
            headers=answer.headers,
            status=answer.status,
            preload_content=False,
            decode_content=False,
        )
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = raw
        response.reason = 'lab'
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self):
        pass


class LabGitLab:
    """One lab GitLab instance for a test: its state, its request handling, and shortcuts to seed and inspect it."""

    def __init__(self, profile='modern', **switches):
        self.profile = profiles.Profile(profile, switches)
        self.state = LabState(self.profile)
        self.app = LabApp(self.state)
        self.version = self.profile.version
        self.calls = []
        self._lost = []
        self.on_create = None  # called once, after the next answered POST /hooks or /applications (a concurrent run)
        self.before = None  # called once, before the next request it accepts is served: before(method, path) -> bool

    def has(self, feature):
        return self.profile.has(feature)

    # -- the transport -------------------------------------------------------------------

    def session(self):
        session = requests.Session()
        session.mount(ROOT + '/', LabAdapter(self))
        return session

    def record(self, method, path, query, body, status, headers):
        relative = path[len(API) :] if path.startswith(API) else ('v3:' + path[len('/api/v3') :] if path.startswith('/api/v3') else path)
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = body
        self.calls.append(Call(method=method, path=relative, params=dict(parse_qsl(query)), data=data, status=status, headers=dict(headers)))
        if self.on_create and method == 'POST' and relative in ('/hooks', '/applications') and status == 201:
            hook, self.on_create = self.on_create, None
            hook('hook' if relative == '/hooks' else 'app', data)

    def take_before(self, method, path):
        relative = path[len(API) :] if path.startswith(API) else path
        if self.before is not None and self.before(method, relative):
            self.before = None

    def take_lost(self, method, path):
        for rule in self._lost:
            if rule[0] == method and path.startswith(API + rule[1]):
                self._lost.remove(rule)
                return rule[2]
        return None

    # -- faults (the lab's own fault and latency layer, through its control API) ----------

    def control(self, method, name, body=None):
        answer = self.app.serve(Request(method, '/__lab__/' + name, {}, json.dumps(body).encode() if body is not None else b'', 'gitlab.test'))
        assert answer.status < 300, answer.body
        return json.loads(answer.body) if answer.body else None

    def fault(self, status, method=None, path=None, count=1, **extra):
        """The next count requests (method, path under /api/v4) answer status, as GitLab or its proxy would."""
        self.control('POST', 'faults', dict(extra, status=status, method=method, path_prefix=API + path if path else None, count=count))

    def latency(self, delay_ms, method=None, path=None, when='after', count=None):
        self.control('POST', 'latency', dict(delay_ms=delay_ms, method=method, path_prefix=API + path if path else None, when=when, count=count))

    def lose_answer(self, method, path, error=None, status=None):
        """The next such request is served, but its answer is lost on the way back: error is raised, or a proxy
        answers status instead."""
        self._lost.append((method, path, status or error or requests.exceptions.ReadTimeout('read timed out')))

    # -- seeding and inspecting ----------------------------------------------------------

    def add_app(self, name, callback_url, confidential=True, scopes=('api',)):
        """An application, as an administrator creates it; returns its API view with its secret."""
        with self.state.lock:
            record, secret = self.state.add_application(name, callback_url, list(scopes), confidential)
        return dict(id=record['id'], application_id=record['uid'], application_name=name, callback_url=callback_url, secret=secret)

    def holds_secret(self, app_id, secret):
        """Whether secret is the current secret of the application with this numeric id."""
        record = self.state.applications.get(app_id)
        return bool(secret) and record is not None and record['secret_digest'] == digest(secret)

    @property
    def apps(self):
        return [
            dict(id=app['id'], application_id=app['uid'], application_name=app['name'], callback_url=app['redirect_uri'], confidential=app['confidential'])
            for app in self.state.applications.values()
        ]

    def oauth_token(self, scopes=('api',)):
        """An OAuth access token of the administrator, as GitLab's OAuth provider issues it to an application."""
        issuer = self.add_app('token issuer', 'http://127.0.0.1:9/callback')
        token = secrets.token_hex(32)
        with self.state.lock:
            self.state.access_tokens[token] = dict(app_id=issuer['id'], user_id=1, scopes=list(scopes), created_at=int(time.time()), state='active')
        return token

    def add_hook(self, url, token=None, **flags):
        with self.state.lock:
            return dict(self.state.add_hook(dict(flags, url=url, token=token)))

    @property
    def hooks(self):
        return [dict(hook) for hook in self.state.hooks.values()]

    @property
    def settings(self):
        return self.state.settings

    def writes(self):
        return [call for call in self.calls if call['method'] not in ('GET', 'HEAD')]


class Run:
    """The requests one module run sent."""

    def __init__(self, calls):
        self.calls = calls

    def writes(self):
        return [call for call in self.calls if call['method'] not in ('GET', 'HEAD')]


def run_module(main, args, gitlab, check_mode=False, diff=False, expect_fail=False, connection=True):
    """Run a module's main() with args against the lab in process; return (result, Run)."""
    args = dict(args)
    if connection:
        args.setdefault('api_url', ROOT)
        args.setdefault('api_token', ADMIN_TOKEN)
    first = len(gitlab.calls)
    result = run_main(main, args, _gitlab_api.requests, gitlab.session(), check_mode=check_mode, diff=diff, expect_fail=expect_fail)
    return result, Run(gitlab.calls[first:])

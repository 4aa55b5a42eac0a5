# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A requests.Session stand-in that plays back scripted answers, for the tests of the HTTP client itself (how it
retries, pages, reads and reports one answer after another). Modules are tested against the lab GitLab instead
(lab_gitlab.py)."""

from __future__ import annotations

import json

import requests

ADMIN_TOKEN = 'glpat-unit-admin-0123456789'
ROOT = 'http://gitlab.test'
BASE = ROOT + '/api/v4'
V3 = ROOT + '/api/v3'


def make_response(status, body=None, headers=None, text=None):
    response = requests.Response()
    response.status_code = status
    if text is not None:
        response._content = text.encode()
    elif body is not None:
        response._content = json.dumps(body).encode()
        response.headers['Content-Type'] = 'application/json'
    else:
        response._content = b''
    response.headers.update(headers or {})
    return response


class FakeSession(object):
    """Answers requests from a handler(method, path, params, data, headers) and records them."""

    def __init__(self, handler):
        self.handler = handler
        self.headers = {}
        self.verify = True
        self.calls = []
        self.closed = False

    def request(
        self,
        method,
        url,
        params=None,
        json=None,
        timeout=None,  # pylint: disable=redefined-outer-name
        allow_redirects=True,
        verify=None,
        stream=False,  # pylint: disable=unused-argument
    ):
        assert not allow_redirects, 'redirects must not be followed (the token would go with them)'
        assert url.startswith((BASE, V3)), url
        # An API v3 path is passed on as 'v3:/path'.
        path = url[len(BASE) :] if url.startswith(BASE) else 'v3:' + url[len(V3) :]
        self.calls.append(dict(method=method, path=path, params=dict(params or {}), data=json, timeout=timeout, verify=verify))
        answer = self.handler(method, path, dict(params or {}), json, self.headers)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self):
        self.closed = True

    def writes(self):
        return [call for call in self.calls if call['method'] != 'GET']


class ScriptedSession(FakeSession):
    """Plays back a list of responses/exceptions, one per request."""

    def __init__(self, answers):
        self.answers = list(answers)
        super(ScriptedSession, self).__init__(lambda *args: self.answers.pop(0))

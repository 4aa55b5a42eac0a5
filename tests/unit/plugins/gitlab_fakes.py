# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test doubles: a requests.Session stand-in and a small in-memory GitLab, plus a module runner."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import requests

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_api
from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.tests.unit.plugins.module_harness import run_main

ADMIN_TOKEN = 'glpat-unit-admin-0123456789'
USER_TOKEN = 'glpat-unit-user-9876543210'
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


ROUTE_NOT_FOUND = {'error': '404 Not Found'}
# The lab's three profiles; any other release can be given as its version ('12.10.14').
VERSIONS = dict(legacy='11.0.6', transition='11.11.8', modern='17.5.2')


class FakeGitLab(object):
    """Just enough of GitLab's API v4 for the modules, for any release: what it can do comes from the release table
    (module_utils/_gitlab_releases.py), the same one the modules and the lab GitLab use.

    A capability whose first release is not pinned counts as absent on the releases in doubt. A route the release
    lacks answers 404 {"error":"404 Not Found"}, as Grape's catch-all does, or 405 for a method a path lacks where
    Grape 0.18 answered so (8.17). Before the API v4 (8.13 to 8.16) every /api/v4 request is a 404 from Rails.
    """

    def __init__(self, profile='modern'):
        self.profile = profile if profile in VERSIONS else 'release'
        self.version = VERSIONS.get(profile, profile)
        release = tuple(int(part) for part in self.version.split('.')[:2])
        self.caps = dict((name, releases.state(name, release) is True) for name in releases.CAPABILITIES)
        self.settings = dict(signup_enabled=True, gitpod_enabled=False)
        if self.caps['koding_settings']:
            self.settings.update(koding_enabled=False, koding_url=None)
        self.apps = []
        self.hooks = []
        self.next_id = 1
        self.forbid = False
        self.on_create = None  # called after each POST /hooks or /applications (to play a concurrent run)

    @property
    def lists_apps(self):
        return self.caps['applications_list']

    def _id(self):
        self.next_id += 1
        return self.next_id

    def add_app(self, name, callback_url, confidential=True):
        app = dict(
            id=self._id(),
            application_id='appid-%d' % self.next_id,
            application_name=name,
            callback_url=callback_url,
            secret='gloas-secret-%d' % self.next_id,
            scopes='api',
        )
        if self.caps['hook_get']:
            # confidential: ≈12.x to 13.x, not in the release table; every release with GET /hooks/:id has it.
            app['confidential'] = confidential
        self.apps.append(app)
        return app

    def add_hook(self, url, token=None, **flags):
        hook = dict(
            id=self._id(),
            url=url,
            created_at='2024-01-01T00:00:00Z',
            push_events=False,
            tag_push_events=False,
            merge_requests_events=False,
            repository_update_events=True,
            enable_ssl_verification=True,
        )
        if self.caps['hook_name']:
            hook.update(name='', description='')
        hook.update(flags)
        self.hooks.append(dict(hook, _token=token))
        return hook

    @staticmethod
    def public_app(app, with_secret=False):
        shown = dict((k, v) for k, v in app.items() if k not in ('secret', 'scopes'))
        if with_secret:
            shown['secret'] = app['secret']
        return shown

    @staticmethod
    def public_hook(hook):
        return dict((k, v) for k, v in hook.items() if k != '_token')

    def __call__(self, method, path, params, data, headers):
        token = headers.get('PRIVATE-TOKEN') or headers.get('Authorization', '').replace('Bearer ', '')
        if token not in (ADMIN_TOKEN, USER_TOKEN):
            return make_response(401, {'message': '401 Unauthorized'})
        if token != ADMIN_TOKEN or self.forbid:
            return make_response(403, {'message': '403 Forbidden'})
        data = data or {}
        if path.startswith('v3:'):
            if self.caps['api_v4'] or not self.caps['koding_settings']:
                return make_response(404, {'error': '404 Not Found'})
            return make_response(200, dict(version=self.version, revision='abc')) if path == 'v3:/version' else make_response(404, ROUTE_NOT_FOUND)
        if not self.caps['api_v4']:
            # Rails, not Grape: an empty 404 for a GET, a JSON one for other methods.
            return make_response(404) if method == 'GET' else make_response(404, {'status': '404', 'error': 'Not Found'})
        route = '%s %s' % (method, re.sub(r'/\d+', '/:id', path))
        caps = self.caps
        handler = {
            'GET /version': lambda: make_response(200, dict(version=self.version, revision='abc')),
            'GET /application/settings': lambda: make_response(200, self.settings),
            'PUT /application/settings': lambda: self.put_settings(data),
            'GET /applications': self.list_apps if self.lists_apps else None,
            'POST /applications': (lambda: self.create_app(data)) if caps['applications_create'] else None,
            'DELETE /applications/:id': (lambda: self.delete(self.apps, path, 'Application')) if caps['applications_delete'] else None,
            'POST /applications/:id/renew-secret': (lambda: self.renew(path)) if caps['renew_secret'] else None,
            'GET /hooks': lambda: self.list_hooks(params),
            'POST /hooks': lambda: self.create_hook(data),
            'PUT /hooks/:id': (lambda: self.update_hook(path, data)) if caps['hook_put'] else None,
            'DELETE /hooks/:id': lambda: self.delete(self.hooks, path, 'Hook'),
        }.get(route)
        if route == 'GET /hooks/:id':
            raise AssertionError('GET /hooks/:id must never be sent (fires a test event before GitLab 14.9)')
        if handler is None:
            if caps['grape_405'] and route in ('PUT /hooks/:id', 'DELETE /applications/:id'):
                return make_response(405, {'error': '405 Not Allowed'})
            return make_response(404, ROUTE_NOT_FOUND)
        return handler()

    def put_settings(self, data):
        known = dict((k, v) for k, v in data.items() if k in self.settings)
        if not known:
            return make_response(400, {'error': 'koding_enabled, koding_url are missing, at least one parameter must be provided'})
        if known.get('koding_enabled') and not data.get('koding_url'):
            return make_response(400, {'error': 'koding_url is missing'})
        self.settings.update(known)
        return make_response(200, self.settings)

    def list_apps(self):
        return make_response(200, [self.public_app(app) for app in self.apps])

    def create_app(self, data):
        if not data.get('scopes'):
            return make_response(400, {'error': 'scopes is empty'})
        app = self.add_app(data['name'], data['redirect_uri'], data.get('confidential', True))
        app['scopes'] = data['scopes']
        created = self.public_app(app, with_secret=True)
        if not self.caps['applications_list']:
            created = dict((k, created[k]) for k in ('application_id', 'secret', 'callback_url'))
        if self.on_create:
            self.on_create('app', data)
        return make_response(201, created)

    def renew(self, path):
        app = self.find(self.apps, path)
        if app is None:
            return make_response(404, {'message': '404 Application Not Found'})
        app['secret'] = 'gloas-renewed-%d' % self._id()
        return make_response(201, self.public_app(app, with_secret=True))

    def list_hooks(self, params):
        if not self.caps['hooks_paginated']:
            return make_response(200, [self.public_hook(hook) for hook in self.hooks])
        page = int(params.get('page', 1))
        per_page = int(params.get('per_page', 20))
        chunk = self.hooks[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(self.hooks) // per_page))
        headers = {'X-Page': str(page), 'X-Per-Page': str(per_page), 'X-Total': str(len(self.hooks)), 'X-Total-Pages': str(pages)}
        links = ['<https://gitlab.elsewhere/api/v4/hooks?%s>; rel="last"' % urlencode(dict(page=pages, per_page=per_page))]
        if page < pages:
            query = urlencode(dict(page=page + 1, per_page=per_page))
            links.insert(0, '<https://gitlab.elsewhere/api/v4/hooks?%s>; rel="next"' % query)
            headers['X-Next-Page'] = str(page + 1)
        headers['Link'] = ', '.join(links)
        return make_response(200, [self.public_hook(hook) for hook in chunk], headers)

    def create_hook(self, data):
        if any(ch in (data.get('token') or '') for ch in '\r\n'):
            return make_response(422 if self.caps['hook_name'] else 400, {'message': {'token': ['is invalid']}})
        fields = dict((k, v) for k, v in data.items() if k not in ('url', 'token'))
        if not self.caps['hook_name']:
            fields.pop('name', None)
            fields.pop('description', None)
        if not self.caps['hook_repository_update_events']:
            fields.pop('repository_update_events', None)
        hook = self.add_hook(data['url'], data.get('token'), **fields)
        if self.on_create:
            self.on_create('hook', data)
        return make_response(201, hook)

    def update_hook(self, path, data):
        hook = self.find(self.hooks, path)
        if hook is None:
            return make_response(404, {'message': '404 Not Found'})
        for key, value in data.items():
            hook['_token' if key == 'token' else key] = value
        return make_response(200, self.public_hook(hook))

    @staticmethod
    def find(items, path):
        wanted = int(re.findall(r'/(\d+)', path)[0])
        for item in items:
            if item['id'] == wanted:
                return item
        return None

    def delete(self, items, path, thing):
        item = self.find(items, path)
        if item is None and thing == 'Application' and not self.caps['applications_delete_404']:
            # 11.5 to early 13.x: ApplicationsFinder returns nil, and nil.destroy is a 500.
            return make_response(500, {'message': '500 Internal Server Error'})
        if item is None:
            return make_response(404, {'message': '404 %s Not Found' % thing})
        items.remove(item)
        return make_response(204)


def run_module(main, args, session, check_mode=False, diff=False, expect_fail=False, connection=True):
    """Run a module's main() with args against a fake session; return the result dict."""
    args = dict(args)
    if connection:
        args.setdefault('api_url', 'http://gitlab.test')
        args.setdefault('api_token', ADMIN_TOKEN)
    return run_main(main, args, _gitlab_api.requests, session, check_mode=check_mode, diff=diff, expect_fail=expect_fail)

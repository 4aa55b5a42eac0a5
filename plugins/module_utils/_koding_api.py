# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""A tiny client for the part of Koding's HTTP surface the koding.gitlab modules use."""

from __future__ import annotations

from urllib.parse import quote

# The one guarded requests import of the collection; re-exported for koding_team.
from ansible_collections.koding.gitlab.plugins.module_utils._http import (  # pylint: disable=unused-import
    HAS_REQUESTS,  # noqa: F401
    REQUESTS_IMPORT_ERROR,  # noqa: F401
    USER_AGENT,
    requests,
)

# Koding protects its forms with a double submit: any GET sets this cookie and a
# form must carry the same value in a field of the same name.
CSRF_NAME = '_csrf'

# Longest server message quoted in an error.
MAX_MESSAGE = 300


class KodingError(Exception):
    """A request to Koding failed; the message says what happened and what to do."""


def server_message(response):
    """Koding's own explanation from an error response (JSON message/error, or the text)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ('message', 'error'):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get('message')
            if value:
                return str(value)[:MAX_MESSAGE]
    return (response.text or '').strip()[:MAX_MESSAGE]


class KodingClient:
    """Talks to one Koding through its public URL (nginx on the public port)."""

    def __init__(self, url, validate_certs=True, timeout=30, session=None):
        self.url = url.rstrip('/')
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self.session.verify = validate_certs
        self.session.headers['User-Agent'] = USER_AGENT

    def request(self, method, path, **kwargs):
        try:
            return self.session.request(method, self.url + path, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.exceptions.RequestException as error:
            raise KodingError('cannot reach Koding at %s: %s; check the URL and that Koding is up (GET %s/-/version)' % (self.url, error, self.url)) from error

    def get_team(self, slug):
        """The team's record, or None when Koding has no team with this slug."""
        response = self.request('GET', '/-/team/' + quote(slug, safe=''))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise KodingError('reading team %s failed: HTTP %d %s' % (slug, response.status_code, server_message(response)))
        try:
            team = response.json()
        except ValueError as error:
            raise KodingError('reading team %s: Koding answered HTTP 200 without JSON; is %s really Koding?' % (slug, self.url)) from error
        return team if isinstance(team, dict) else {'slug': slug}

    def csrf_token(self):
        """The _csrf cookie value; any GET hands one out."""
        token = self.session.cookies.get(CSRF_NAME)
        if not token:
            self.request('GET', '/')
            token = self.session.cookies.get(CSRF_NAME)
        if not token:
            raise KodingError('Koding at %s set no %s cookie, so no form can be posted; is the URL the public one (nginx)?' % (self.url, CSRF_NAME))
        return token

    def create_team(self, slug, company_name, email, username, password):
        """POST /-/teams/create with a new admin user. The session token Koding answers with is dropped."""
        form = {
            CSRF_NAME: self.csrf_token(),
            'slug': slug,
            'companyName': company_name,
            'email': email,
            'username': username,
            'password': password,
            'passwordConfirm': password,
            'agree': 'on',
            'allow': 'true',
            'alreadyMember': 'false',
            'newsletter': 'false',
            'redirect': '',
        }
        response = self.request('POST', '/-/teams/create', data=form)
        if response.status_code == 200:
            return
        raise KodingError('creating team %s failed: HTTP %d %s; %s' % (slug, response.status_code, server_message(response), create_hint(response)))


def create_hint(response):
    """What to do about a refused POST /-/teams/create, by Koding's status code (createteam.coffee)."""
    if response.status_code == 400:
        return 'Koding refused the team options: the slug equals the username, the slug is invalid or reserved, or the username or email is already taken'
    if response.status_code == 403:
        if 'csrf' in (response.text or '').lower():
            return 'the CSRF check failed; use the public URL (nginx), where Koding hands out the _csrf cookie'
        suggested = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            suggested = body.get('suggested')
        return 'the team URL is taken by another team%s' % ('; Koding suggests the slug %s' % suggested if suggested else '')
    return 'check the Koding backend logs'

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
    ascii_url,
    cut,
    json_body,
    parse_json,
    redact,
    redact_userinfo,
    requests,
    secret_variants,
    send,
)

# Koding protects its forms with a double submit: any GET sets this cookie and a
# form must carry the same value in a field of the same name.
CSRF_NAME = '_csrf'

# Longest server message quoted in an error.
MAX_MESSAGE = 300


class KodingError(Exception):
    """A request to Koding failed; the message says what happened and what to do."""


def server_message(response, secrets=()):
    """Koding's own explanation from an error response (JSON message/error, or the text): secrets redacted
    (before it is cut, so that no part of one is left), cut short."""
    body = json_body(response)
    if isinstance(body, dict):
        for key in ('message', 'error'):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get('message')
            if value:
                return cut(redact(value, secrets), MAX_MESSAGE)
    try:
        text = response.text or ''
    except (ValueError, LookupError):
        text = ''
    return cut(redact(' '.join(text.split()), secrets), MAX_MESSAGE)


class KodingClient:
    """Talks to one Koding through its public URL (nginx on the public port).

    secrets: values (such as the admin password) never to appear in an error, in any encoding.
    Raises KodingError, with every secret and the URL's user-info redacted, for any failure.
    """

    def __init__(self, url, validate_certs=True, timeout=30, session=None, secrets=()):
        # Shown in messages: the URL as given, without its user-info.
        self.shown = redact_userinfo(url.rstrip('/'))
        try:
            self.url = ascii_url(url.rstrip('/'))
        except ValueError as error:
            raise KodingError('%s' % error) from None
        self.timeout = timeout
        self.verify = validate_certs
        self._secrets = []
        for secret in secrets:
            self._secrets.extend(secret_variants(secret))
        self.session = session if session is not None else requests.Session()
        self.session.verify = validate_certs
        self.session.headers['User-Agent'] = USER_AGENT

    def error(self, message):
        """A KodingError whose message holds no secret and no URL user-info."""
        return KodingError(redact(message, self._secrets))

    def request(self, method, path, **kwargs):
        try:
            return send(self.session, method, self.url + path, self.timeout, verify=self.verify, **kwargs)
        except (OSError, ValueError, UnicodeError) as error:  # RequestException is an OSError
            raise self.error(
                'cannot reach Koding at %s (%s %s): %s; check the URL and that Koding is up (GET %s/-/version)'
                % (self.shown, method, path, cut(redact(error, self._secrets), MAX_MESSAGE), self.shown)
            ) from None

    def get_team(self, slug):
        """The team's record, or None when Koding has no team with this slug."""
        response = self.request('GET', '/-/team/' + quote(slug, safe=''))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self.error('reading team %s failed: HTTP %d %s' % (slug, response.status_code, server_message(response, self._secrets)))
        try:
            team = parse_json(response.content)
        except (ValueError, UnicodeError):
            raise self.error(
                'reading team %s: Koding answered HTTP 200 without JSON (or JSON nested too deeply); is %s really Koding?' % (slug, self.shown)
            ) from None
        return team if isinstance(team, dict) else {'slug': slug}

    def csrf_token(self):
        """The _csrf cookie value; any GET hands one out."""
        token = self.session.cookies.get(CSRF_NAME)
        if not token:
            self.request('GET', '/')
            token = self.session.cookies.get(CSRF_NAME)
        if not token:
            raise self.error('Koding at %s set no %s cookie, so no form can be posted; is the URL the public one (nginx)?' % (self.shown, CSRF_NAME))
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
        raise self.error(
            'creating team %s failed: HTTP %d %s; %s' % (slug, response.status_code, server_message(response, self._secrets), create_hint(response))
        )


def create_hint(response):
    """What to do about a refused POST /-/teams/create, by Koding's status code (createteam.coffee)."""
    if response.status_code == 400:
        return 'Koding refused the team options: the slug equals the username, the slug is invalid or reserved, or the username or email is already taken'
    if response.status_code == 403:
        if 'csrf' in (response.text or '').lower():
            return 'the CSRF check failed; use the public URL (nginx), where Koding hands out the _csrf cookie'
        suggested = None
        body = json_body(response)
        if isinstance(body, dict):
            suggested = body.get('suggested')
        if suggested is not None:
            suggested = cut(suggested, 100)
        return 'the team URL is taken by another team%s' % ('; Koding suggests the slug %s' % suggested if suggested else '')
    return 'check the Koding backend logs'

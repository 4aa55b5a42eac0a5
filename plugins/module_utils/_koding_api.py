# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""A small client for the part of Koding's HTTP surface the koding.gitlab modules use. Koding's rule for team
slugs is in _input_checks, with the other checks of values, so that the roles' filters load it without requests."""

from __future__ import annotations

import socket
from urllib.parse import quote, urlsplit, urlunsplit

from ansible_collections.koding.gitlab.plugins.module_utils._http import USER_AGENT, RetryingClient, ascii_url, json_body, parse_json, requests, tls_verify
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import cut, redact, secret_variants

# Koding protects its forms with a double submit: any GET sets this cookie and a
# form must carry the same value in a field of the same name.
CSRF_NAME = '_csrf'

# Longest server message quoted in an error.
MAX_MESSAGE = 300

LOOPBACK = frozenset(('127.0.0.1', '::1'))


def resolve(name):
    """The set of addresses a host name resolves to; .localhost names are loopback (RFC 6761, section 6.3)."""
    lowered = (name or '').lower().rstrip('.')
    if lowered == 'localhost' or lowered.endswith('.localhost'):
        return set(LOOPBACK)
    try:
        return {info[4][0] for info in socket.getaddrinfo(name, None)}
    except (socket.gaierror, UnicodeError):
        return set()


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


class _ServerNameAdapter(requests.adapters.HTTPAdapter if requests is not None else object):
    """Connects where the URL says (an address) but speaks TLS to the given host name: SNI and the name the
    certificate must hold (urllib3's server_hostname)."""

    def __init__(self, server_hostname, **kwargs):
        self.server_hostname = server_hostname
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs['server_hostname'] = self.server_hostname
        super().init_poolmanager(*args, **kwargs)


class KodingClient(RetryingClient):
    """Talks to one Koding through its public URL (nginx on the public port).

    connect_address: an IP address to connect to instead of the URL's host, the requests still naming the public
    host (Host header); a name under .localhost connects to 127.0.0.1 by itself, as browsers resolve it.
    secrets: values (such as the admin password) never to appear in an error, in any encoding.
    Requests go through _http.send_with_retries (max_retries, max_retry_wait: as for GitLab).
    Raises KodingError, with every secret and the URL's user-info redacted, for any failure.
    """

    def __init__(self, url, validate_certs=True, timeout=30.0, max_retries=3, max_retry_wait=60.0, connect_address=None, secrets=(), sleep=None, ca_path=None):
        url = url.rstrip('/')
        # Shown in messages: the URL as given, without its user-info.
        self.shown = redact(url)
        self.parts = urlsplit(url)
        try:
            # The host name IDNA-encoded, as DNS and the Host header carry it.
            ascii_netloc = urlsplit(ascii_url(url)).netloc
        except ValueError as error:
            raise KodingError('%s' % error) from None
        if not connect_address and resolve(self.parts.hostname) == LOOPBACK:
            connect_address = '127.0.0.1'
        userinfo, at, host_port = ascii_netloc.rpartition('@')
        netloc = ascii_netloc
        if connect_address:
            address = '[%s]' % connect_address if ':' in connect_address else connect_address
            netloc = userinfo + at + ('%s:%s' % (address, self.parts.port) if self.parts.port else address)
        self.url = urlunsplit((self.parts.scheme, netloc, self.parts.path, '', ''))
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.verify = tls_verify(validate_certs, ca_path)
        self._sleep = sleep
        self._secrets = []
        for secret in secrets:
            self._secrets.extend(secret_variants(secret))
        self.session = requests.Session()
        self.session.verify = self.verify
        self.session.headers['User-Agent'] = USER_AGENT
        if connect_address:
            self.session.headers['Host'] = host_port
            if self.parts.scheme == 'https':
                # TLS names the public host too (SNI, and the certificate checked against it), not the address.
                self.session.mount('https://', _ServerNameAdapter(urlsplit(ascii_url(url)).hostname))

    def error(self, message):
        """A KodingError whose message holds no secret and no URL user-info."""
        return KodingError(redact(message, self._secrets))

    def send(self, method, path, **kwargs):
        """The answer to one request (retried as _http.send_with_retries allows), whatever its status; raises the
        transport's error (an OSError, ValueError or UnicodeError) when none came back."""
        response, dummy = self._send_retried(method, self.url + path, **kwargs)
        return response

    def request(self, method, path, **kwargs):
        """The answer to one request, whatever its status; KodingError when none came back."""
        try:
            return self.send(method, path, **kwargs)
        except (OSError, ValueError, UnicodeError) as error:  # RequestException is an OSError
            raise self.error(
                'cannot reach Koding at %s (%s %s): %s; check the URL and that Koding is up (GET %s/-/version)'
                % (self.shown, method, path, cut(redact(error, self._secrets), MAX_MESSAGE), self.shown)
            ) from None

    def probe(self, method, path, **kwargs):
        """(status, body text) of one request, or (None, what went wrong) when no answer came back; never raises
        for the transport (a check reports it instead).

        After a request that got no answer the next ones are not retried: Koding is down, and each check would
        only wait out the same backoff again.
        """
        try:
            response = self.send(method, path, **kwargs)
        except (OSError, ValueError, UnicodeError) as error:  # RequestException is an OSError
            self.max_retries = 0
            return None, '%s %s could not be sent: %s' % (method, path, type(error).__name__)
        return response.status_code, response.text

    def close(self):
        self.session.close()

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
        # Behind its TLS front Koding marks the cookie Secure (sessionCookie.secure), and a cookie jar keeps a Secure
        # cookie from a plain-http request, such as one to Koding's own port on the Docker host: send it as given.
        response = self.request('POST', '/-/teams/create', data=form, cookies={CSRF_NAME: form[CSRF_NAME]})
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

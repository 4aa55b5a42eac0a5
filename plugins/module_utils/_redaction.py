# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""The placeholder shown instead of any secret, and the redaction of secrets from text (the forms a secret takes
in a message, the user-info of URLs). The standard library only: modules that run on the Koding host and the
roles' filters use it without loading an HTTP client."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus, unquote

# Shown instead of any secret (and any URL user-info) in messages, diffs and results.
SECRET_PLACEHOLDER = '********'

_USERINFO = re.compile(r'([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@')


def _without_userinfo(text):
    if '@' not in text:
        return text
    return _USERINFO.sub(lambda match: match.group(1) + SECRET_PLACEHOLDER + '@', text)


# Shorter values would mangle every message; Ansible masks no_log values in its output anyway.
MIN_SECRET_VARIANT = 6


def secret_variants(secret):
    """A secret and every form it may take in a message: as given, stripped, each whitespace-separated piece,
    and as the module's own encodings write it (form and URL encoding, JSON and repr escaping)."""
    if not isinstance(secret, str) or not secret:
        return []
    forms = set([secret, secret.strip()])
    forms.update(piece for piece in secret.split())
    variants = set()
    for form in forms:
        variants.update((form, quote_plus(form), quote(form, safe=''), quote(form), json.dumps(form)[1:-1], repr(form)[1:-1]))
        variants.add(json.dumps(form, ensure_ascii=False)[1:-1])
    return sorted((v for v in variants if len(v) >= MIN_SECRET_VARIANT), key=len, reverse=True)


def url_secrets(url):
    """The secrets a URL may hold: its user-info (user:password@), the password, both decoded, and the Basic
    authorization requests makes of them; [] without user-info."""
    match = _USERINFO.match(url.strip()) if isinstance(url, str) else None
    if not match:
        return []
    userinfo = match.group(0)[len(match.group(1)) : -1]
    user, dummy, password = userinfo.partition(':')
    secrets = [userinfo, password, unquote(userinfo), unquote(password)]
    try:
        secrets.append(base64.b64encode(('%s:%s' % (unquote(user), unquote(password))).encode('latin-1')).decode('ascii'))
    except UnicodeError:
        pass
    return [secret for secret in dict.fromkeys(secrets) if secret]


def redact(text, secrets=()):
    """Text with every given secret form (see secret_variants) and the user-info of every URL in it
    (scheme://user:password@) replaced by the placeholder. None stays None; anything else becomes text."""
    if text is None:
        return None
    text = '%s' % (text,)
    for secret in secrets:
        text = text.replace(secret, SECRET_PLACEHOLDER)
    return _without_userinfo(text)


def no_log_secrets(module, values):
    """Have Ansible mask each secret value, in every form secret_variants gives, in anything it prints
    (results, warnings, the invocation at -vvv)."""
    for value in values:
        if isinstance(value, str) and value:
            module.no_log_values.update(secret_variants(value))
            if len(value) >= MIN_URL_SECRET:
                module.no_log_values.add(value)


# A password in a URL is no option of its own, so Ansible does not mask it; masked from this length on.
MIN_URL_SECRET = 4


def masked(value):
    """The placeholder when a secret is set, else None: what diffs and results show of a secret."""
    return SECRET_PLACEHOLDER if value is not None else None


def cut(text, limit=300):
    """Text cut to limit characters (with '...'), for quoting a server's answer in a message."""
    text = '%s' % (text,)
    return text if len(text) <= limit else text[:limit] + '...'

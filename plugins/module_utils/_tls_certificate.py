# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.
"""Whether an operator's certificate, chain and key may be served for a set of names.

The koding role's TLS front serves the files the operator gives (koding_tls: files). They are checked on the
controller, before anything is deployed, so that a key of another certificate, an expired certificate or one that
does not name the Koding host is refused with the variable to fix instead of a front that fails to start or a browser
warning. Needs cryptography, which ansible-core depends on.
"""

from __future__ import annotations

import datetime
import ipaddress

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID
except ImportError:  # pragma: no cover - ansible-core depends on cryptography; a target may lack it
    HAS_CRYPTOGRAPHY = False
else:
    HAS_CRYPTOGRAPHY = True

PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----'


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def not_valid_after(certificate):
    # cryptography 42 added the aware *_utc properties; older ones give naive UTC datetimes.
    value = getattr(certificate, 'not_valid_after_utc', None)
    return value if value is not None else certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _not_valid_before(certificate):
    value = getattr(certificate, 'not_valid_before_utc', None)
    return value if value is not None else certificate.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def _load_certificates(pem):
    """The certificates of a PEM text, in order; ValueError when there is none or one does not parse."""
    text = pem if isinstance(pem, str) else ''
    if PEM_CERTIFICATE not in text:
        raise ValueError('holds no PEM certificate')
    blocks = [PEM_CERTIFICATE + block for block in text.split(PEM_CERTIFICATE)[1:]]
    try:
        return [x509.load_pem_x509_certificate(block.encode('ascii')) for block in blocks]
    except (ValueError, UnicodeEncodeError):
        raise ValueError('holds a PEM certificate that does not parse') from None


def certificate_names(certificate):
    """The DNS names and IP addresses a certificate is valid for (its subject alternative names)."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        # Browsers ignore the common name; a certificate without the extension names nothing they accept.
        return []
    return san.get_values_for_type(x509.DNSName) + [str(address) for address in san.get_values_for_type(x509.IPAddress)]


def name_matches(name, pattern):
    """Whether a host name is covered by a certificate name: equal, or matched by one leading wildcard label."""
    name = name.lower().rstrip('.')
    pattern = pattern.lower().rstrip('.')
    try:
        return ipaddress.ip_address(name) == ipaddress.ip_address(pattern)
    except ValueError:
        pass
    if pattern.startswith('*.'):
        head, dot, rest = name.partition('.')
        return bool(head) and dot == '.' and rest == pattern[2:]
    return name == pattern


def _public_bytes(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _common_name(name):
    common_names = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return common_names[0].value if common_names else name.rfc4514_string()


def _subject(certificate):
    return _common_name(certificate.subject)


def certificate_issuer(certificate):
    """The common name of the certificate's issuer (its whole name when it has none)."""
    return _common_name(certificate.issuer)


def load_der_certificate(der):
    """A certificate from its DER bytes, as a TLS handshake gives it."""
    return x509.load_der_x509_certificate(der)


def tls_certificate_problem(certificate, key, chain='', names=(), now=None, variables=None):
    """Why the certificate, chain and key must not be served for the names, or ''.

    certificate: the server's certificate (PEM; more certificates after it are taken as its chain).
    key: its private key (PEM, unencrypted). Never part of a message.
    chain: the intermediate certificates (PEM), may be empty.
    names: every host name the front serves.
    variables: the names of the variables the values come from, for the messages
    (keys certificate, chain, key, names).
    """
    labels = {'certificate': 'certificate', 'chain': 'chain', 'key': 'key', 'names': 'names'}
    labels.update(variables or {})
    if not HAS_CRYPTOGRAPHY:
        return 'cannot be checked: the Python library cryptography is missing on the controller'
    now = now or _utc_now()

    try:
        leaf, *rest = _load_certificates(certificate)
    except ValueError as error:
        return '%s %s' % (labels['certificate'], error)
    intermediates = rest
    if chain:
        try:
            intermediates = rest + _load_certificates(chain)
        except ValueError as error:
            return '%s %s' % (labels['chain'], error)

    try:
        private_key = serialization.load_pem_private_key(key.encode('ascii') if isinstance(key, str) else b'', password=None)
    except TypeError:
        return '%s is encrypted: give the key without a passphrase (keep it in a vault instead)' % labels['key']
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm):
        return '%s holds no PEM private key that parses' % labels['key']
    if _public_bytes(private_key.public_key()) != _public_bytes(leaf.public_key()):
        return '%s does not match %s (the certificate of %s): give the key this certificate was issued for' % (
            labels['key'],
            labels['certificate'],
            _subject(leaf),
        )

    not_after = not_valid_after(leaf)
    if not_after <= now:
        return '%s expired on %s: renew it, or use koding_tls=acme' % (labels['certificate'], not_after.strftime('%Y-%m-%d %H:%M UTC'))
    not_before = _not_valid_before(leaf)
    if not_before > now:
        return '%s is not valid before %s' % (labels['certificate'], not_before.strftime('%Y-%m-%d %H:%M UTC'))
    for position, intermediate in enumerate(intermediates, start=1):
        if not_valid_after(intermediate) <= now:
            return '%s: its certificate %d (%s) expired on %s' % (
                labels['chain'],
                position,
                _subject(intermediate),
                not_valid_after(intermediate).strftime('%Y-%m-%d %H:%M UTC'),
            )

    covered = certificate_names(leaf)
    missing = [name for name in names if not any(name_matches(name, pattern) for pattern in covered)]
    if missing:
        return '%s is not valid for %s (from %s): it names %s' % (
            labels['certificate'],
            ', '.join(missing),
            labels['names'],
            ', '.join(covered) or 'no host (no subject alternative names)',
        )

    # The chain is sent as given: each certificate must be issued by the next, or clients that do not fetch
    # missing intermediates fail.
    for child, parent in zip([leaf] + intermediates, intermediates):
        if child.issuer != parent.subject:
            return '%s is out of order: %s is not issued by %s, which follows it' % (labels['chain'], _subject(child), _subject(parent))
    return ''

# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.koding.gitlab.plugins.filter.tls_certificate_problem import FilterModule
from ansible_collections.koding.gitlab.plugins.module_utils import _tls_certificate
from ansible_collections.koding.gitlab.plugins.module_utils._tls_certificate import name_matches, tls_certificate_problem

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
NAMES = ('koding.example.com', 'gitlab.koding.example.com')
VARIABLES = {'certificate': 'koding_tls_certificate', 'chain': 'koding_tls_chain', 'key': 'koding_tls_key', 'names': 'koding_tls_names'}


def make_key():
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def issue(subject, key, issuer=None, issuer_key=None, names=(), ca=False, start=NOW - DAY, end=NOW + 90 * DAY):
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer.subject if issuer else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        entries = []
        for name in names:
            try:
                entries.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                entries.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope='module')
def pki():
    root_key, inter_key, leaf_key = make_key(), make_key(), make_key()
    root = issue('Lab Root', root_key, ca=True, end=NOW + 3650 * DAY)
    inter = issue('Lab Intermediate', inter_key, root, root_key, ca=True, end=NOW + 1000 * DAY)
    leaf = issue('koding.example.com', leaf_key, inter, inter_key, names=NAMES)
    return {'root': root, 'root_key': root_key, 'inter': inter, 'inter_key': inter_key, 'leaf': leaf, 'leaf_key': leaf_key}


def problem(pki, certificate=None, key=None, chain=None, names=NAMES):
    return tls_certificate_problem(
        cert_pem(certificate or pki['leaf']),
        key=key_pem(key or pki['leaf_key']),
        chain=cert_pem(pki['inter']) if chain is None else chain,
        names=names,
        now=NOW,
        variables=VARIABLES,
    )


def test_a_good_certificate_passes(pki):
    assert problem(pki) == ''


def test_the_chain_may_follow_the_certificate_in_one_file(pki):
    assert tls_certificate_problem(cert_pem(pki['leaf']) + cert_pem(pki['inter']), key=key_pem(pki['leaf_key']), names=NAMES, now=NOW) == ''


def test_a_key_of_another_certificate_is_refused_without_showing_it(pki):
    other = make_key()
    message = problem(pki, key=other)
    assert message.startswith('koding_tls_key does not match koding_tls_certificate')
    assert 'PRIVATE' not in message and key_pem(other).splitlines()[1] not in message


def test_an_expired_certificate_is_refused(pki):
    old = issue('koding.example.com', pki['leaf_key'], pki['inter'], pki['inter_key'], names=NAMES, start=NOW - 100 * DAY, end=NOW - DAY)
    assert problem(pki, certificate=old).startswith('koding_tls_certificate expired on 2026-05-31')


def test_a_certificate_not_yet_valid_is_refused(pki):
    later = issue('koding.example.com', pki['leaf_key'], pki['inter'], pki['inter_key'], names=NAMES, start=NOW + DAY)
    assert problem(pki, certificate=later).startswith('koding_tls_certificate is not valid before')


def test_a_name_mismatch_is_refused_naming_the_names(pki):
    assert problem(pki, names=NAMES + ('team.koding.example.com',)) == (
        'koding_tls_certificate is not valid for team.koding.example.com (from koding_tls_names): it names koding.example.com, gitlab.koding.example.com'
    )


def test_a_certificate_without_alternative_names_names_nothing(pki):
    bare = issue('koding.example.com', pki['leaf_key'], pki['inter'], pki['inter_key'])
    assert problem(pki, certificate=bare).endswith('it names no host (no subject alternative names)')


def test_a_wildcard_covers_one_label(pki):
    wild = issue('*.koding.example.com', pki['leaf_key'], pki['inter'], pki['inter_key'], names=['koding.example.com', '*.koding.example.com'])
    assert problem(pki, certificate=wild, names=NAMES + ('team.koding.example.com',)) == ''
    assert 'a.b.koding.example.com' in problem(pki, certificate=wild, names=['a.b.koding.example.com'])


def test_a_chain_out_of_order_is_refused(pki):
    assert 'koding_tls_chain is out of order' in problem(pki, chain=cert_pem(pki['root']) + cert_pem(pki['inter']))


def test_an_expired_intermediate_is_refused(pki):
    old_inter = issue('Lab Intermediate', pki['inter_key'], pki['root'], pki['root_key'], ca=True, start=NOW - 100 * DAY, end=NOW - DAY)
    assert problem(pki, chain=cert_pem(old_inter)).startswith('koding_tls_chain: its certificate 1 (Lab Intermediate) expired')


@pytest.mark.parametrize(
    'certificate, key, chain, expected',
    [
        ('', None, '', 'koding_tls_certificate holds no PEM certificate'),
        ('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', None, '', 'koding_tls_certificate holds a PEM certificate that does not parse'),
        (None, 'not a key', '', 'koding_tls_key holds no PEM private key that parses'),
        (None, '', '', 'koding_tls_key holds no PEM private key that parses'),
        (None, None, 'junk', 'koding_tls_chain holds no PEM certificate'),
    ],
)
def test_unreadable_input_names_the_variable(pki, certificate, key, chain, expected):
    result = tls_certificate_problem(
        cert_pem(pki['leaf']) if certificate is None else certificate,
        key=key_pem(pki['leaf_key']) if key is None else key,
        chain=chain,
        names=NAMES,
        now=NOW,
        variables=VARIABLES,
    )
    assert result == expected


def test_an_encrypted_key_is_refused(pki):
    encrypted = (
        pki['leaf_key'].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b'secret')).decode()
    )
    assert tls_certificate_problem(cert_pem(pki['leaf']), key=encrypted, names=NAMES, now=NOW, variables=VARIABLES) == (
        'koding_tls_key is encrypted: give the key without a passphrase (keep it in a vault instead)'
    )


@pytest.mark.parametrize(
    'name, pattern, expected',
    [
        ('Koding.Example.com.', 'koding.example.com', True),
        ('x.example.com', '*.example.com', True),
        ('example.com', '*.example.com', False),
        ('127.0.0.1', '127.0.0.1', True),
        ('127.0.0.1', '127.0.0.2', False),
    ],
)
def test_name_matches(name, pattern, expected):
    assert name_matches(name, pattern) is expected


def test_the_filter_gives_the_function_its_arguments_and_answer(monkeypatch):
    """The filter loads the check only when called (cryptography would slow every task that loads the filters)."""
    seen = []
    monkeypatch.setattr(_tls_certificate, 'tls_certificate_problem', lambda *args, **kwargs: seen.append((args, kwargs)) or 'answer')
    assert FilterModule().filters()['tls_certificate_problem']('pem', key='key', names=['a']) == 'answer'
    assert seen == [(('pem',), {'key': 'key', 'names': ['a']})]

#!/usr/bin/python
# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: tls_certificate_info
short_description: Check the certificate an https server presents for a host name, as a browser would
version_added: 0.1.0
description:
  - Connects to O(port) of O(name) (or of O(connect_address)), sends O(name) as the TLS server name, and checks the
    certificate chain against the system's trust store or O(ca_path), and the certificate's names against O(name).
  - Returns whether the certificate verified, why not, its names, issuer and expiry, and the days left.
  - The module never fails because the certificate did not verify; it returns what it found. The
    C(koding.gitlab.verify) role turns it into checks, with a warning below a number of days left.
author:
  - koding.gitlab maintainers (@koding-gitlab)
extends_documentation_fragment:
  - koding.gitlab.attributes
  - koding.gitlab.attributes.info_module
options:
  name:
    description: The host name the certificate must be valid for; sent as the TLS server name (SNI).
    type: str
    required: true
  port:
    description: The https port.
    type: int
    default: 443
  connect_address:
    description: Connect to this address instead of resolving O(name), for example V(127.0.0.1) on the host itself.
    type: str
  ca_path:
    description:
      - A file of PEM CA certificates to check the chain against, instead of the system's trust store.
    type: path
  timeout:
    description: Seconds the connection and the handshake may take.
    type: float
    default: 10
  warn_days:
    description: Warn when a certificate that verified expires in fewer days than this; V(0) never warns.
    type: int
    default: 0
notes:
  - Without the Python library C(cryptography), the names, issuer and expiry of a certificate that does not verify
    are not returned (those of one that does always are).
"""

EXAMPLES = r"""
- name: Check Koding's certificate from the controller
  koding.gitlab.tls_certificate_info:
    name: koding.example.com
  delegate_to: localhost
  register: koding_tls

- name: Fail on a certificate browsers refuse
  ansible.builtin.assert:
    that: koding_tls.verified
    fail_msg: "{{ koding_tls.error }}"
"""

RETURN = r"""
verified:
  description: Whether the chain verified against the trust store and the certificate is valid for O(name).
  returned: always
  type: bool
error:
  description: Why the handshake or the verification failed; empty when it verified.
  returned: always
  type: str
  sample: "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"
names:
  description: The certificate's DNS names and IP addresses (subject alternative names).
  returned: when a certificate was received
  type: list
  elements: str
issuer:
  description: The common name of the certificate's issuer.
  returned: when a certificate was received
  type: str
not_after:
  description: When the certificate expires, ISO 8601 in UTC.
  returned: when a certificate was received
  type: str
  sample: "2026-09-01T12:00:00+00:00"
days_left:
  description: Whole days until the certificate expires; negative once it has.
  returned: when a certificate was received
  type: int
"""

import datetime
import socket
import ssl

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.koding.gitlab.plugins.module_utils._tls_certificate import (
    HAS_CRYPTOGRAPHY,
    certificate_issuer,
    certificate_names,
    load_der_certificate,
    not_valid_after,
)


def handshake(address, port, name, context, timeout):
    """The peer's certificate (dict, empty unless verified) and its DER bytes, after a handshake."""
    with socket.create_connection((address, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            return tls.getpeercert(), tls.getpeercert(binary_form=True)


def summary_of_verified(peer, now):
    not_after = datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(peer['notAfter']), datetime.timezone.utc)
    issuer = dict(entry[0] for entry in peer.get('issuer', ()))
    return {
        'names': [value for kind, value in peer.get('subjectAltName', ()) if kind in ('DNS', 'IP Address')],
        'issuer': issuer.get('commonName', ''),
        'not_after': not_after.isoformat(),
        'days_left': (not_after - now).days,
    }


def summary_of_der(der, now):
    certificate = load_der_certificate(der)
    expiry = not_valid_after(certificate)
    return {
        'names': certificate_names(certificate),
        'issuer': certificate_issuer(certificate),
        'not_after': expiry.isoformat(),
        'days_left': (expiry - now).days,
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            port=dict(type='int', default=443),
            connect_address=dict(type='str'),
            ca_path=dict(type='path'),
            timeout=dict(type='float', default=10),
            warn_days=dict(type='int', default=0),
        ),
        supports_check_mode=True,
    )
    name, port = module.params['name'], module.params['port']
    address = module.params['connect_address'] or name
    if not name or any(character.isspace() for character in name):
        module.fail_json(msg='name %r is not a host name' % name)
    if not 0 < port < 65536:
        module.fail_json(msg='port %d is not a TCP port' % port)
    now = datetime.datetime.now(datetime.timezone.utc)

    try:
        context = ssl.create_default_context(cafile=module.params['ca_path'])
    except (OSError, ssl.SSLError) as error:
        module.fail_json(msg='ca_path %s holds no CA certificate that loads: %s' % (module.params['ca_path'], error))

    result = {'changed': False, 'verified': False, 'error': ''}
    try:
        peer, dummy = handshake(address, port, name, context, module.params['timeout'])
    except ssl.SSLCertVerificationError as error:
        result['error'] = str(error)
    except (OSError, ssl.SSLError) as error:
        result['error'] = 'no TLS handshake with %s port %d: %s' % (address, port, error)
        module.exit_json(**result)
    else:
        result.update(verified=True, **summary_of_verified(peer, now))
        if result['days_left'] < module.params['warn_days']:
            module.warn(
                'The certificate of %s expires in %d days (%s), fewer than %d: renew it.'
                % (name, result['days_left'], result['not_after'], module.params['warn_days'])
            )
        module.exit_json(**result)

    # Not verified: look at what was presented, to say what is wrong with it.
    if HAS_CRYPTOGRAPHY:
        unchecked = ssl.create_default_context()
        unchecked.check_hostname = False
        unchecked.verify_mode = ssl.CERT_NONE
        try:
            dummy, der = handshake(address, port, name, unchecked, module.params['timeout'])
            result.update(summary_of_der(der, now))
        except (OSError, ssl.SSLError, ValueError):
            pass
    module.exit_json(**result)


if __name__ == '__main__':
    main()

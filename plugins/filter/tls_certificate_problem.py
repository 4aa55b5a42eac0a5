# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: tls_certificate_problem
short_description: Why a certificate, its chain and its key must not be served for some host names
version_added: 0.1.0
description:
  - Returns why the certificate must not be served, or an empty string when it may be.
  - Refuses a certificate or chain that does not parse, a key that is encrypted or does not match the certificate, an
    expired or not yet valid certificate or intermediate, a certificate whose subject alternative names do not cover
    every name of O(names), and a chain whose certificates are not each issued by the next.
  - The messages name the variables given in O(variables) and never hold the key.
  - The P(koding.gitlab.koding#role) role checks the operator's files with it before it deploys (C(koding_tls=files)).
  - Runs on the controller and needs the Python library C(cryptography), which ansible-core depends on.
options:
  _input:
    description: The certificate, PEM; certificates after the first are taken as its chain.
    type: str
    required: true
  key:
    description: The certificate's private key, PEM, unencrypted.
    type: str
    required: true
  chain:
    description: The intermediate certificates, PEM.
    type: str
    default: ''
  names:
    description: The host names the certificate must be valid for.
    type: list
    elements: str
    default: []
  variables:
    description:
      - The names of the variables the values come from, used in the messages.
      - Keys C(certificate), C(chain), C(key) and C(names).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Check the operator's certificate (no_log, as the key is an input)
  ansible.builtin.set_fact:
    tls_problem: >-
      {{ lookup('ansible.builtin.file', 'files/site.crt')
         | koding.gitlab.tls_certificate_problem(key=site_key, names=['koding.example.com'],
                                                 variables={'certificate': 'site.crt', 'key': 'site_key'}) }}
  no_log: true

- name: Refuse it with the reason
  ansible.builtin.assert:
    that: tls_problem == ''
    fail_msg: "{{ tls_problem }}"
"""

RETURN = r"""
_value:
  description: Why the certificate must not be served, or an empty string.
  type: str
"""


def tls_certificate_problem(*args, **kwargs):
    # Imported on use: Ansible loads every filter file of the collection in each task that uses one of them, and
    # cryptography's x509 takes longer to load than all the other filters together.
    from ansible_collections.koding.gitlab.plugins.module_utils import _tls_certificate  # pylint: disable=import-outside-toplevel

    return _tls_certificate.tls_certificate_problem(*args, **kwargs)


class FilterModule(object):
    def filters(self):
        return {'tls_certificate_problem': tls_certificate_problem}

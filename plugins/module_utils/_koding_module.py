# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""KodingModule: the base of every koding.gitlab module that talks to Koding.

It owns the shared connection options (the koding_api doc fragment), has Ansible mask every secret in every form
the module's requests give it, checks every option before any request (each error names its option), creates the
client, and turns KodingError into fail_json.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.koding.gitlab.plugins.module_utils._http import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    connection_option_problems,
    fail_on_option_problems,
    transport_argument_spec,
)
from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import validate_http_url, validate_token
from ansible_collections.koding.gitlab.plugins.module_utils._koding_api import KodingClient, KodingError
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import no_log_secrets, url_secrets


def koding_api_argument_spec():
    """Connection options shared by every Koding module (see the koding_api doc fragment)."""
    return dict(
        url=dict(type='str', required=True),
        **transport_argument_spec(),
    )


class KodingModule(AnsibleModule):
    """An AnsibleModule with Koding's connection options, their checks, and a ready KodingClient (self.client).

    secret_options: options holding secrets (masked by Ansible in every encoding, redacted from the client's errors);
    token_options: secret options sent in an HTTP header (no whitespace, control or non-ASCII characters);
    option_checks: a function of the params returning the module's own problems (messages or None);
    connect_option: the option naming an IP address to connect to instead of the URL's host, if the module has one.
    """

    def __init__(self, argument_spec=None, secret_options=(), token_options=(), option_checks=None, connect_option=None, **kwargs):
        spec = koding_api_argument_spec()
        spec.update(argument_spec or {})
        kwargs.setdefault('supports_check_mode', True)
        super(KodingModule, self).__init__(argument_spec=spec, **kwargs)
        self.secrets = [self.params.get(option) for option in tuple(secret_options) + tuple(token_options)] + url_secrets(self.params['url'])
        no_log_secrets(self, self.secrets)
        self.token_options = tuple(token_options)
        self._option_checks = option_checks
        self.connect_option = connect_option
        self.fail_on_problems(self.option_problems())
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self.client = self._create_client()

    def option_problems(self):
        """Every problem found in the options without asking Koding; each message names its option."""
        params = self.params
        problems = [validate_http_url(params['url'], 'url')] + connection_option_problems(params)
        problems.extend(validate_token(params.get(option), option, ascii_only=True) for option in self.token_options)
        problems.extend(self._option_checks(params) if self._option_checks else ())
        return problems

    def fail_on_problems(self, problems):
        fail_on_option_problems(self, problems)

    def _create_client(self):
        params = self.params
        try:
            return KodingClient(
                params['url'],
                validate_certs=params['validate_certs'],
                ca_path=params.get('ca_path'),
                timeout=params['timeout'],
                max_retries=params['max_retries'],
                max_retry_wait=params['max_retry_wait'],
                connect_address=params.get(self.connect_option) if self.connect_option else None,
                secrets=[secret for secret in self.secrets if secret],
            )
        except KodingError as error:
            self.fail_json(msg='%s' % error, changed=False)

    def run(self, work):
        """exit_json with work()'s result, or fail_json on a KodingError."""
        try:
            result = work()
        except KodingError as error:
            self.fail_json(msg=self.client.error('%s' % error).args[0], changed=False)
        finally:
            self.client.close()
        self.exit_json(**result)

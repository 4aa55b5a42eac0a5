# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the collection: it may change at any time.
# Do not use it from other collections or standalone modules.

"""GitlabModule: the base of every koding.gitlab module that talks to GitLab.

It owns the shared connection options, checks every option before any request (each error names its option),
creates the client, and turns GitlabApiError into fail_json. Its helpers find one object by a key (refusing to
pick among duplicates), delete an object (a retried delete that finds it gone counts as done), and delete then
re-create one, finishing what they start or saying exactly what is left.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.koding.gitlab.plugins.module_utils import _gitlab_releases as releases
from ansible_collections.koding.gitlab.plugins.module_utils._gitlab_api import (
    GitlabApiError,
    GitlabClient,
)
from ansible_collections.koding.gitlab.plugins.module_utils._http import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    connection_option_problems,
    fail_on_option_problems,
    transport_argument_spec,
)
from ansible_collections.koding.gitlab.plugins.module_utils._input_checks import validate_http_url, validate_token
from ansible_collections.koding.gitlab.plugins.module_utils._redaction import no_log_secrets, redact, url_secrets

TOKEN_ENV = 'GITLAB_API_TOKEN'


def gitlab_api_argument_spec():
    """Connection options shared by every GitLab module (see the gitlab_api doc fragment)."""
    return dict(
        api_url=dict(type='str', required=True, fallback=(env_fallback, ['GITLAB_URL'])),
        # The GITLAB_API_TOKEN fallback is applied by GitlabModule, not here: ansible-core applies env fallbacks
        # before checking mutually_exclusive, so an exported token would make every task that passes
        # api_oauth_token fail with a confusing "mutually exclusive" error.
        api_token=dict(type='str', no_log=True),
        api_oauth_token=dict(type='str', no_log=True),
        **transport_argument_spec(),
    )


GITLAB_API_MUTUALLY_EXCLUSIVE = [('api_token', 'api_oauth_token')]


class GitlabModule(AnsibleModule):
    """An AnsibleModule with GitLab's connection options, their checks, and a ready GitlabClient (self.client).

    url_options: options holding http(s) URLs (user-info allowed there, but redacted in every output);
    token_options: options holding tokens (no whitespace or control characters, never echoed);
    option_checks: a function of the params returning the module's own problems (messages or None);
    option_capabilities: {option: capability} for options only some GitLab releases take (see _gitlab_releases).
    """

    def __init__(self, argument_spec=None, mutually_exclusive=None, url_options=(), token_options=(), option_checks=None, option_capabilities=None, **kwargs):
        spec = gitlab_api_argument_spec()
        spec.update(argument_spec or {})
        kwargs.setdefault('supports_check_mode', True)
        super(GitlabModule, self).__init__(
            argument_spec=spec, mutually_exclusive=list(GITLAB_API_MUTUALLY_EXCLUSIVE) + list(mutually_exclusive or []), **kwargs
        )
        self.url_options = tuple(url_options)
        self.token_options = ('api_token', 'api_oauth_token') + tuple(token_options)
        self._option_checks = option_checks
        self.option_capabilities = dict(option_capabilities or {})
        self._mask_secret_variants()
        self.token, self.oauth_token = self._tokens()
        self.fail_on_problems(self.option_problems())
        self.client = self._create_client()

    # -- options ---------------------------------------------------------------------------

    def _mask_secret_variants(self):
        """Have Ansible mask a secret in every form it may take (stripped, escaped) in anything it prints."""
        no_log_secrets(self, [self.params.get(option) for option in self.token_options])
        # A password written into a URL (refused for api_url, redacted elsewhere) must not show up either,
        # not even in the invocation Ansible prints at -vvv.
        for option in ('api_url',) + self.url_options:
            no_log_secrets(self, url_secrets(self.params.get(option)))

    def _tokens(self):
        token = self.params['api_token']
        oauth_token = self.params['api_oauth_token']
        if token is None and oauth_token is None:
            token = os.environ.get(TOKEN_ENV) or None
            no_log_secrets(self, [token])
        return token, oauth_token

    def option_problems(self):
        """Every problem found in the options without asking GitLab; each message names its option."""
        params = self.params
        problems = [validate_http_url(params['api_url'], 'api_url', allow_userinfo=False)]
        if self.token is None and self.oauth_token is None:
            problems.append('No GitLab token given: set api_token (or the %s environment variable) or api_oauth_token.' % TOKEN_ENV)
        env_token = self.token is not None and params['api_token'] is None
        problems.append(validate_token(self.token, 'api_token (from %s)' % TOKEN_ENV if env_token else 'api_token', ascii_only=True))
        problems.append(validate_token(self.oauth_token, 'api_oauth_token', ascii_only=True))
        problems.extend(connection_option_problems(params))
        for option in self.url_options:
            if params.get(option) is not None:
                problems.append(validate_http_url(params[option], option))
        for option in self.token_options[2:]:
            problems.append(validate_token(params.get(option), option))
        if self._option_checks:
            problems.extend(self._option_checks(params))
        return problems

    def fail_on_problems(self, problems):
        fail_on_option_problems(self, problems)

    def _create_client(self):
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        params = self.params
        return GitlabClient(
            params['api_url'],
            token=self.token,
            oauth_token=self.oauth_token,
            validate_certs=params['validate_certs'],
            ca_path=params['ca_path'],
            timeout=params['timeout'],
            max_retries=params['max_retries'],
            max_retry_wait=params['max_retry_wait'],
        )

    # -- running ---------------------------------------------------------------------------

    def fail_api(self, error, **result):
        """Fail with a GitlabApiError's message and its details (no secret, no URL user-info)."""
        result.setdefault('changed', False)
        self.fail_json(msg=self.client.redact(error.msg), api_error=error.details(), **result)

    def run(self, work):
        """exit_json with work()'s result, or fail_json on a GitlabApiError."""
        try:
            result = work()
        except GitlabApiError as error:
            if error.kind == 'no_api':
                error.msg = self.no_api_message(error)
            self.fail_api(error)
        finally:
            self.client.close()
        self.exit_json(**result)

    def no_api_message(self, error):
        """Why a request found no API v4 at all: a GitLab before 8.17 (API v3 only), or api_url is not GitLab."""
        v3_version = self.client.api_v3_version()
        needed = releases.first('api_v4')
        if v3_version:
            return (
                'GitLab %s serves only the REST API v3 (/api/v3); these modules use the API v4, which came in GitLab %s. '
                'Upgrade GitLab to %s or later (the Koding settings are there up to %s). %s'
                % (v3_version, needed, needed, releases.last('koding_settings'), error.msg)
            )
        return (
            'No GitLab API v4 answered at %s: %s GitLab before %s serves only the API v3, and api_url may not be '
            'GitLab\'s base URL (for example https://gitlab.example.com).' % (self.client.api_url, error.msg, needed)
        )

    # -- releases --------------------------------------------------------------------------

    def supports(self, capability):
        """Whether this GitLab has a capability (_gitlab_releases): True, False, or None where its release is not pinned."""
        version = self.client.version_tuple()
        if version == (0, 0, 0):
            return None
        return releases.state(capability, version)

    def unsupported_options(self):
        """The options set in the task that this GitLab's release cannot take, with their capability."""
        return [
            (option, capability)
            for option, capability in sorted(self.option_capabilities.items())
            if self.params.get(option) not in (None, False) and self.supports(capability) is False
        ]

    def warn(self, warning):
        super(GitlabModule, self).warn(redact(warning))

    # -- shared steps ----------------------------------------------------------------------

    def find_one(self, items, key, value, what, hint):
        """The one item whose key equals value, or None; fails listing the ids when there are several."""
        matches = [item for item in items if item.get(key) == value]
        if len(matches) > 1:
            self.fail_json(
                msg='%d %s have the %s %r (ids %s); %s' % (len(matches), what, key, redact(value), ', '.join('%s' % item.get('id') for item in matches), hint),
                changed=False,
            )
        return matches[0] if matches else None

    def delete(self, path, gone=None):
        """Delete the object at path; True if this run deleted it, False if it was already gone.

        A retried DELETE that finds it gone counts as done (True): the earlier try did it. gone, a function, tells
        after a 500 whether the object is gone anyway (GitLab releases that answer 500 for an object already deleted).
        """
        try:
            return self.client.delete(path, gone=gone)
        except GitlabApiError as error:
            if error.resource_not_found:
                return False
            raise

    def ensure_absent(self, path, item, gone=None):
        """state=absent: delete item (None: nothing to do); returns changed."""
        if item is None:
            return False
        if self.check_mode:
            return True
        return self.delete(path, gone=gone)

    def delete_then_create(self, path, create, what, gone=None):
        """Delete, then create again through create(); an error after the delete says what is left to do."""
        self.delete(path, gone=gone)
        try:
            return create()
        except GitlabApiError as error:
            error.msg = '%s was deleted to apply the change, but creating it again failed, so it does not exist now; run the task again to create it. %s' % (
                what,
                error.msg,
            )
            raise

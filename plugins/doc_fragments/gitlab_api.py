# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every module that talks to GitLab's REST API.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of GitLab, for example V(https://gitlab.example.com), without C(/api/v4).
      - It must be an C(http://) or C(https://) URL with a valid host name and port, without whitespace, control
        characters or user-info (C(user:password@)); it is checked before any request is sent.
      - Redirects are not followed (the token would go with them); use GitLab's external URL, often the C(https://) one.
      - If not set, the value of the E(GITLAB_URL) environment variable is used.
    type: str
    required: true
  api_token:
    description:
      - A personal, project or group access token of a GitLab administrator, sent in the C(PRIVATE-TOKEN) header.
      - It needs the C(api) scope, and the C(admin_mode) scope too when Admin Mode is enabled on the instance.
      - If neither O(api_token) nor O(api_oauth_token) is set, the value of the E(GITLAB_API_TOKEN) environment variable is used.
      - Mutually exclusive with O(api_oauth_token).
      - A token with whitespace, control characters (for example the newline at the end of a file) or other
        characters than printable ASCII is refused before any request; the module does not strip it. Use C(| trim) where the value comes from a file.
    type: str
  api_oauth_token:
    description:
      - "An OAuth 2 access token of a GitLab administrator, sent as C(Authorization: Bearer)."
      - Mutually exclusive with O(api_token). Checked like O(api_token).
    type: str
  validate_certs:
    description:
      - Whether to verify GitLab's TLS certificate.
      - Only set to V(false) for tests against a server you control; prefer O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM file) or directory used to verify GitLab's TLS certificate instead of the system's.
    type: path
  timeout:
    description:
      - Seconds to wait for GitLab to connect and to answer each request; a finite number above 0, at most 86400.
      - An answer that has not arrived whole within that time fails the request, however steadily its bytes come.
    type: float
    default: 30
  max_retries:
    description:
      - How many times a request is retried after a rate limit (HTTP 429), a gateway error (502, 503, 504) or a
        connection error, or after an answer cut off mid-body. V(0) disables retries; at most V(100).
      - GitLab's C(Retry-After) header is honoured; otherwise the waits grow exponentially (1, 2, 4, ... seconds).
      - A C(POST) (which creates something) is retried only after a 429 or when the connection could not be
        established, never after a 5xx answer or a read timeout, because GitLab may already have acted on it.
      - A C(DELETE) retried after a lost answer that then finds the object gone counts as done.
    type: int
    default: 3
  max_retry_wait:
    description:
      - The most seconds spent waiting between retries in one request; a retry that would exceed it is not made.
      - A finite number, at least 0, at most 86400.
    type: float
    default: 60
requirements:
  - requests (Python library, on the host that runs the module)
notes:
  - "The modules talk to GitLab from the host that runs them. Run them on the controller (C(delegate_to: localhost) or a
    play on C(localhost)) when the environment variables E(GITLAB_URL) and E(GITLAB_API_TOKEN) are set there."
"""

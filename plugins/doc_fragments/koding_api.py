# Copyright (c) koding.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every module that talks to Koding's public URL.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Koding's public base URL, the one nginx serves on the public port and GitLab and browsers use, for example
        V(http://koding.example.com:8090).
      - It must be an C(http://) or C(https://) URL with a valid host name and port, without whitespace or control
        characters; it is checked before any request is sent. A password in it (C(user:password@)) never appears in
        the module's output.
      - Host names under C(.localhost) are connected to on the loopback address, as browsers resolve them (RFC 6761).
      - Redirects are not followed.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to verify the TLS certificate of an C(https://) O(url).
      - Only set to V(false) for tests against a server you control; prefer O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM file) or directory used to verify the TLS certificate of an C(https://) O(url) instead of the
        system's, for example the private CA that signed the certificate of the koding role's TLS front.
    type: path
  timeout:
    description:
      - Seconds each HTTP request may take in all, from connecting to the last byte of the answer; a finite number
        above 0, at most 86400.
      - An answer that has not arrived whole within that time fails the request, however steadily its bytes come.
    type: float
    default: 30
  max_retries:
    description:
      - How many times a request is retried after a rate limit (HTTP 429), a gateway error (502, 503 or 504, as
        Koding's nginx answers while the backend starts) or a connection error. V(0) disables retries; at most V(100).
      - Koding's C(Retry-After) header is honoured; otherwise the waits grow exponentially (1, 2, 4, ... seconds).
      - A C(POST) (which creates something) is retried only after a 429 or when the connection could not be
        established, never after a 5xx answer or a read timeout, because Koding may already have acted on it.
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
"""

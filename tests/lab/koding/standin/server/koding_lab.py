"""Koding lab stand-in server: the public HTTP surface of a Koding backend (nginx + webserver + kontrol).

It keeps users, teams and sessions in the stack's PostgreSQL (database social), or in memory with
--store memory. It also serves a password-protected console on 9001, the analogue of supervisord's
HTTP console, which a deployment must never publish.

The code is the koding_standin package beside this file; this is its command line, and what tests import.
"""

import sys

from koding_standin import checkout, rules
from koding_standin.checkout import callback_flavour, reserved_slugs, signup_flavour
from koding_standin.handlers import ConsoleHandler, Handler, Server
from koding_standin.main import main
from koding_standin.rules import emailsanitize, session_group
from koding_standin.stores import MemoryStore, PostgresStore, Store, StoreError

# What the tests take from here.
__all__ = [
    'ConsoleHandler',
    'Handler',
    'MemoryStore',
    'PostgresStore',
    'Server',
    'Store',
    'StoreError',
    'callback_flavour',
    'checkout',
    'emailsanitize',
    'main',
    'reserved_slugs',
    'rules',
    'session_group',
    'signup_flavour',
]

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

"""The stand-in's log, on standard error as the container shows it."""

import sys


def log(message):
    print('[koding-lab] %s' % message, file=sys.stderr, flush=True)

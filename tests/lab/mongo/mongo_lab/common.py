"""What the engine and its modern-client commands share."""

import random
import time

# 2.4 closes a cursor nobody asked for in 10 minutes
CURSOR_TIMEOUT = 600


class CommandError(Exception):
    def __init__(self, errmsg, code=None, **extra):
        super().__init__(errmsg)
        self.errmsg = errmsg
        self.code = code
        self.extra = extra


class Cursor:
    def __init__(self, ns, docs):
        self.ns = ns
        self.docs = docs
        self.position = 0
        self.used = time.monotonic()


def split_ns(ns):
    db, _sep, coll = ns.partition('.')
    return db, coll


def get_path(doc, path):
    value = doc
    for part in path.split('.'):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


def message_of(error):
    """An exception's own message (pymongo's str() appends the full error document)."""
    return str(error.args[0]) if error.args else str(error)


def register_cursor(cursors, cursor):
    """Keep the cursor under a new random int64 id (dropping the ones idle too long); the id."""
    now = time.monotonic()
    for cursor_id in [key for key, other in cursors.items() if now - other.used > CURSOR_TIMEOUT]:
        del cursors[cursor_id]
    cursor_id = random.randint(1, 2**63 - 1)
    cursors[cursor_id] = cursor
    return cursor_id

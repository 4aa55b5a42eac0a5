"""What the engine and its modern-client commands share."""


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

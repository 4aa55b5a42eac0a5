"""The lab Mongo's listener (mockupdb's server, every request answered by the Engine), its in-process API and main()."""

import argparse
import os
import signal
import socket
import struct
import sys
import threading

import bson
import bson.errors
import mockupdb

from .engine import Engine
from .store import Store


class _Listener(mockupdb.MockupDB):
    """mockupdb's server on a chosen host (it binds 'localhost' otherwise), no request queue: all goes to the handler."""

    def __init__(self, host, port, handler, verbose=False):
        super().__init__(port=port, verbose=verbose, request_timeout=int(1e6))
        self._address = (host, port)
        self.autoresponds(handler)


class LabMongo:
    """A lab Mongo in this process.

    lab = LabMongo(dbpath=None or DIR); lab.restore(PATH, 'koding'); port = lab.start(); lab.uri; lab.stop()
    """

    def __init__(self, host='127.0.0.1', port=0, dbpath=None, verbose=False):
        self.host = host
        self.store = Store(dbpath)
        self.engine = Engine(self.store, verbose=verbose)
        self.listener = _Listener(host, port, self.engine.handle, verbose=verbose)
        self.port = None

    def restore(self, path, db, drop=False):
        """Load a mongodump directory or archive into db; {collection: documents inserted}."""
        return self.store.restore(path, db, drop=drop)

    def start(self):
        self.port = self.listener.run()
        return self.port

    def stop(self):
        self.listener.stop()

    @property
    def uri(self):
        return 'mongodb://%s:%d' % (self.host, self.port)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='server.py', description='A MongoDB 2.4 (legacy wire protocol) lab server over mongomock.')
    parser.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1; 0.0.0.0 only inside a container)')
    parser.add_argument('--port', type=int, default=27017, help='port (0: any free port; see --port-file)')
    parser.add_argument('--dbpath', help='data directory (mongodump layout), rewritten on every write; without it the data lives in memory')
    parser.add_argument('--restore', metavar='PATH', help='a mongodump directory or a .tar/.tar.gz/.tar.bz2 of one, loaded into --db at start')
    parser.add_argument('--db', help='the database --restore loads into (as mongorestore --db)')
    parser.add_argument('--drop', action='store_true', help='with --restore: drop each restored collection first (mongorestore --drop)')
    parser.add_argument('--port-file', help='write the bound port here (atomically) once listening')
    parser.add_argument('--verbose', action='store_true', help='log every request and reply')
    parser.add_argument('--smallfiles', action='store_true', help="accepted and ignored (mongod 2.4's flag, in the koding role's default command)")
    parser.add_argument(
        '--ping', action='store_true', help='do not serve: ask the server at --host/--port for `ping`; exit 0 when it answers ok (a health check)'
    )
    args = parser.parse_args(argv)
    if bool(args.restore) != bool(args.db):
        parser.error('--restore and --db go together')
    return args


def ping(host, port, timeout=5.0):
    """True when a server at host:port answers the `ping` command over OP_QUERY (what a health check needs)."""
    query = struct.pack('<i', 0) + b'admin.$cmd\0' + struct.pack('<ii', 0, -1) + bson.encode({'ping': 1})
    try:
        with socket.create_connection(('127.0.0.1' if host in ('0.0.0.0', '') else host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack('<iiii', 16 + len(query), 1, 0, 2004) + query)
            data = b''
            while len(data) < 4 or len(data) < struct.unpack('<i', data[:4])[0]:
                chunk = sock.recv(65536)
                if not chunk:
                    return False
                data += chunk
        return bson.decode(data[36:]).get('ok') == 1
    except (OSError, ValueError, bson.errors.BSONError):
        return False


def main(argv=None):
    args = parse_args(argv)
    if args.ping:
        return 0 if ping(args.host, args.port) else 1
    lab = LabMongo(args.host, args.port, args.dbpath, verbose=args.verbose)
    restored = {}
    if args.restore:
        restored = lab.restore(args.restore, args.db, drop=args.drop)
    port = lab.start()
    if args.port_file:
        temporary = args.port_file + '.tmp'
        with open(temporary, 'w', encoding='utf-8') as handle:
            handle.write('%d\n' % port)
        os.replace(temporary, args.port_file)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    databases = ', '.join('%s (%d collections)' % (db, len(lab.store.collection_names(db))) for db in lab.store.database_names()) or 'none'
    print(
        'lab mongo %s ready on %s:%d; dbpath %s; databases: %s%s'
        % (
            '2.4',
            args.host,
            port,
            args.dbpath or '(memory)',
            databases,
            '; restored %d documents into %s' % (sum(restored.values()), args.db) if args.restore else '',
        ),
        flush=True,
    )
    stop.wait()
    lab.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""The command line of server/koding_lab.py: the public port and the console, with the konfig ./configure wrote."""

import argparse
import os
import signal
import threading

import konfig as konfig_lib

from . import checkout
from .handlers import ConsoleHandler, Handler, Server
from .log import log
from .stores import MemoryStore, PostgresStore

DESCRIPTION = 'Koding lab stand-in server: the public HTTP surface of a Koding backend (nginx + webserver + kontrol).'


def parse_args(argv):
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument('--config', default=os.path.join(checkout.ROOT, '.env.json'), help='file written by ./configure')
    parser.add_argument('--store', choices=('postgres', 'memory'), default='postgres')
    parser.add_argument('--bind', default='0.0.0.0', help='address of both listeners')
    parser.add_argument('--port', type=int, help='public port (default: publicPort of the config)')
    parser.add_argument('--console-port', type=int, default=9001)
    parser.add_argument('--port-file', help='write the bound public port here once listening')
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    konfig = konfig_lib.load(args.config)
    store = MemoryStore() if args.store == 'memory' else PostgresStore(konfig['postgres'])
    public = Server((args.bind, int(konfig['publicPort']) if args.port is None else args.port), Handler, konfig, store)
    console = Server((args.bind, args.console_port), ConsoleHandler, konfig, store)
    threading.Thread(target=console.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=public.shutdown).start())
    port = public.server_address[1]
    if args.port_file:
        with open(args.port_file + '.tmp', 'w', encoding='ascii') as handle:
            handle.write('%d\n' % port)
        os.replace(args.port_file + '.tmp', args.port_file)
    log(
        'listening on %s:%d (console on %d), store %s, hooks %s'
        % (args.bind, port, console.server_address[1], args.store, 'on' if konfig['gitlab']['hooksEnabled'] else 'off')
    )
    if args.store == 'postgres' and not store.ready():
        log('database not reachable yet; /-/version answers 503 until it is')
    public.serve_forever(poll_interval=0.2)
    log('stopped')
    return 0

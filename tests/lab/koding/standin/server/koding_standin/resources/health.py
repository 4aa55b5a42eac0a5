"""Health and version: nginx's /healthcheck, the webserver's /-/version and /-/healthCheck, kontrol's, and /."""

import socket

from ..log import log

ROUTES = (
    ('GET', r'/healthcheck', 'healthcheck'),
    ('GET', r'/-/version', 'version'),
    ('GET', r'/-/healthCheck', 'workers'),
    ('GET', r'/kontrol/healthCheck', 'kontrol'),
    ('GET', r'/', 'home'),
)


def healthcheck(request):
    request.send(200, headers=request.new_cookies)


def version(request):
    if request.store.ready():
        request.send(200, {'version': request.konfig['version']}, headers=request.new_cookies)
    else:
        request.send(503, {'error': 'database is not ready'}, headers=request.new_cookies)


def workers(request):
    request.send(200 if workers_answer(request) else 500, headers=request.new_cookies)


def kontrol(request):
    request.send(200, 'kontrol is running with version: %s' % request.konfig['version'], headers=request.new_cookies)


def home(request):
    request.send(200, 'Koding lab stand-in\n', headers=request.new_cookies)


def service_answers(host, port, probe, expect, timeout=2.0):
    """Send probe over TCP and check that the reply starts with expect."""
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.sendall(probe)
            return sock.recv(64).startswith(expect)
    except (OSError, ValueError):
        return False


def workers_answer(request):
    redis, mq = request.konfig['redis'], request.konfig['mq']
    checks = {
        'postgres': request.store.ready(),
        'redis': service_answers(redis['host'], redis['port'], b'*1\r\n$4\r\nPING\r\n', b'+PONG'),
        # An AMQP 0-9-1 protocol header is answered by a connection.start method frame (type 1).
        'rabbitmq': service_answers(mq['host'], mq['port'], b'AMQP\x00\x00\x09\x01', b'\x01'),
    }
    failed = sorted(name for name, answered in checks.items() if not answered)
    if failed:
        log('HEALTHCHECK ERROR: no answer from %s' % ', '.join(failed))
    return not failed

# Asks the TLS front for a path over https as a browser would, with the CA certificates given as its only trust:
# connects to HOST:PORT, sends NAME as SNI and Host, checks the chain and the name, and prints the certificate's
# issuer, names and the answer's status as JSON. Exits 1, printing the error, when the handshake fails.
# Usage: python tls_probe.py HOST PORT NAME CAFILE PATH
import http.client
import json
import socket
import ssl
import sys

host, port, name, cafile, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
context = ssl.create_default_context(cafile=cafile)
try:
    with socket.create_connection((host, port), timeout=30) as raw, context.wrap_socket(raw, server_hostname=name) as tls:
        peer = tls.getpeercert()
        tls.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % (path, name)).encode('ascii'))
        response = http.client.HTTPResponse(tls)
        response.begin()
        response.read()
except (OSError, ssl.SSLError, http.client.HTTPException) as error:
    print(json.dumps({'error': str(error)}))
    sys.exit(1)
print(
    json.dumps(
        {
            'issuer': dict(entry[0] for entry in peer['issuer']),
            'names': [value for kind, value in peer.get('subjectAltName', ()) if kind in ('DNS', 'IP Address')],
            'not_after': peer['notAfter'],
            'status': response.status,
        }
    )
)

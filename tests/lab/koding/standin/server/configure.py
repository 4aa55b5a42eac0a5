"""./configure of the Koding lab stand-in: writes .env.json and the kontrol/kite keys under generated/."""

import base64
import json
import os
import subprocess
import sys
import time
import uuid

import konfig as konfig_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git_version():
    """First 8 characters of the checked-out commit, else the VERSION file (as upstream's git-rev fallback)."""
    try:
        sha = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        if sha:
            return sha[:8]
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        with open(os.path.join(ROOT, 'VERSION'), encoding='utf-8') as handle:
            return handle.read().strip()
    except OSError:
        return None


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def ensure_keys(konfig):
    """Create kontrol's RSA key and the koding kite.key only when missing, so a persisted generated/ keeps them."""
    private_key = os.path.join(ROOT, konfig['kontrol']['privateKeyFile'])
    public_key = os.path.join(ROOT, konfig['kontrol']['publicKeyFile'])
    kite_key = os.path.join(ROOT, konfig['kiteHome'], 'kite.key')
    old_umask = os.umask(0o077)
    try:
        os.makedirs(os.path.dirname(private_key), exist_ok=True)
        os.makedirs(os.path.dirname(kite_key), exist_ok=True)
        if not os.path.exists(private_key):
            subprocess.run(
                ['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', private_key], check=True, capture_output=True
            )
            print('created %s' % konfig['kontrol']['privateKeyFile'])
        if not os.path.exists(public_key):
            subprocess.run(['openssl', 'pkey', '-in', private_key, '-pubout', '-out', public_key], check=True, capture_output=True)
        if not os.path.exists(kite_key):
            with open(public_key, encoding='ascii') as handle:
                kontrol_key = handle.read()
            header = {'alg': 'RS256', 'typ': 'JWT'}
            claims = {
                'iss': 'koding',
                'sub': 'koding',
                'aud': '/',
                'iat': int(time.time()),
                'jti': str(uuid.uuid4()),
                'kontrolURL': konfig['kontrol']['url'],
                'kontrolKey': kontrol_key,
            }
            signing_input = _b64(json.dumps(header).encode()) + '.' + _b64(json.dumps(claims).encode())
            signature = subprocess.run(
                ['openssl', 'dgst', '-sha256', '-sign', private_key], input=signing_input.encode(), check=True, capture_output=True
            ).stdout
            with open(kite_key, 'w', encoding='ascii') as handle:
                handle.write(signing_input + '.' + _b64(signature) + '\n')
            print('created %s/kite.key' % konfig['kiteHome'])
    finally:
        os.umask(old_umask)


def main(argv):
    options = konfig_lib.parse_flags(argv)
    print('-------------------------')
    if not options.get('hostname') or options.get('hostname') is True:
        # The real ./configure asks a koding.com service for the public IP here, which no longer answers.
        print('lemme find your IP')
        print('configure: cannot find the public IP (http://echoip.net does not answer); pass --hostname=<name>', file=sys.stderr)
        return 1
    if not options.get('version'):
        options['version'] = git_version() or '1.0'
    # Upper-case KONFIG_* do nothing here (config/inheritEnvVars.coffee:8); they act when the server starts.
    konfig = konfig_lib.build(options, ROOT)
    print('Configuring with options:')
    print(json.dumps(konfig_lib.masked_konfig(konfig), indent=2, sort_keys=True))
    path = os.path.join(ROOT, '.env.json')
    descriptor = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
        json.dump(konfig, handle, indent=2, sort_keys=True)
    os.replace(path + '.tmp', path)
    ensure_keys(konfig)
    print('Configuration done')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

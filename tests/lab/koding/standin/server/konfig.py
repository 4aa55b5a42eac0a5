"""KONFIG of the Koding lab stand-in: the subset of koding/koding's generated config that the stand-in uses.

The shape follows config/generateKonfig.coffee and config/credentials.default.coffee (August 2016);
every leaf can be overridden by KONFIG_<PATH_IN_UPPER_CASE> with a JSON-parsed value when the server starts
(koding-config-manager). At ./configure time upper-case names do nothing: config/inheritEnvVars.coffee:8 looks
them up in the path's own case.
"""

import json
import os
import re

NUMBER = re.compile(r'^-?\d+(\.\d+)?$')


def parse_flags(argv):
    """Parse --key=value / --key value / --flag / --no-flag like minimist (all-digit values become numbers)."""
    options = {}
    args = list(argv)
    while args:
        arg = args.pop(0)
        if not arg.startswith('--'):
            continue  # positional words (such as "build") are not options
        key, sep, value = arg[2:].partition('=')
        if not sep:
            if key.startswith('no-'):
                options[key[3:]] = False
                continue
            if args and not args[0].startswith('--'):
                value = args.pop(0)
            else:
                options[key] = True
                continue
        if NUMBER.match(value):
            value = float(value) if '.' in value else int(value)
        options[key] = value
    return options


def _text(value, default=''):
    if value is None or value is True or value is False:
        return default
    return str(value)


def _checkout_text(project_root, path):
    try:
        with open(os.path.join(project_root, path), encoding='utf-8') as handle:
            return handle.read()
    except OSError:
        return ''


def url_settings(project_root):
    """The scheme of the public URL and whether cookies are Secure, from the checkout's config/main.default.coffee
    (:43 `options.scheme = 'http'`, :39 `options.secureCookie = no` upstream; the koding role's edited copy behind its
    TLS front), and the scheme of the GitLab redirect URI, from config/generateKonfig.coffee (:21 hard-codes
    `http://`; the role's edit takes options.scheme). Where the checkout lacks the files, upstream's values."""
    main = _checkout_text(project_root, 'config/main.default.coffee')
    scheme = re.search(r"options\.scheme = '(\w+)'", main)
    secure = re.search(r'options\.secureCookie = (yes|no|true|false)', main)
    scheme = scheme.group(1) if scheme else 'http'
    generate = _checkout_text(project_root, 'config/generateKonfig.coffee')
    redirect_scheme = scheme if 'redirectUri: "#{options.scheme}://' in generate else 'http'
    return {'scheme': scheme, 'secure_cookie': bool(secure) and secure.group(1) in ('yes', 'true'), 'redirect_scheme': redirect_scheme}


def build(options, project_root):
    """The generated configuration for the given ./configure options."""
    hostname = _text(options.get('hostname'))
    public_port = _text(options.get('publicPort'), '8090')
    port_suffix = '' if public_port == '80' else ':' + public_port
    host = _text(options.get('host')) or hostname + port_suffix
    urls = url_settings(project_root)
    public = '%s://%s' % (urls['scheme'], host)
    protocol = _text(options.get('protocol'), 'http:')
    gitlab_host = _text(options.get('gitlabHost'))
    return {
        'environment': _text(options.get('environment'), 'default'),
        'configName': _text(options.get('config'), 'default'),
        'hostname': host,
        'protocol': protocol,
        # configure:44 without --publichostname: http://<hostname>:8090, whatever the port.
        'publicHostname': _text(options.get('publichostname')) or 'http://%s:8090' % hostname,
        # generateKonfig.coffee:297
        'sessionCookie': {'maxAge': 1000 * 60 * 60 * 24 * 14, 'secure': urls['secure_cookie']},
        'publicPort': public_port,
        'version': _text(options.get('version'), '1.0'),
        'projectRoot': project_root,
        'domains': {'base': hostname, 'mail': 'koding.com', 'main': host, 'port': '8090'},
        'customDomain': {'public': public, 'public_': host},
        'mongo': 'localhost:27017/koding',
        'redis': {'host': 'localhost', 'port': '6379', 'db': 0, 'url': 'localhost:6379'},
        'mq': {'host': 'localhost', 'port': 5672, 'login': 'guest', 'password': 'guest', 'vhost': '/'},
        'postgres': {'host': 'localhost', 'port': '5432', 'username': 'socialapplication', 'password': 'socialapplication', 'dbname': 'social'},
        'kontrol': {
            'port': 3000,
            'url': public + '/kontrol/kite',
            'postgres': {'host': 'localhost', 'port': 5432, 'username': 'kontrolapplication', 'password': 'kontrolapplication', 'dbname': 'social'},
            'privateKeyFile': 'generated/private_keys/kontrol/kontrol.pem',
            'publicKeyFile': 'generated/private_keys/kontrol/kontrol.pub',
        },
        'kiteHome': 'generated/kite_home/koding',
        'gitlab': {
            'host': gitlab_host,
            'port': _text(options.get('gitlabPort'), '3000'),
            'applicationId': _text(options.get('gitlabAppId')),
            'applicationSecret': _text(options.get('gitlabAppSecret')),
            'team': 'gitlab',
            'redirectUri': '%s://gitlab.%s/-/oauth/gitlab/callback' % (urls['redirect_scheme'], host),
            'systemHookToken': _text(options.get('gitlabToken')),
            # generateKonfig.coffee:23: `options.gitlabHost? or credentials.gitlab?.host? ...`; the default
            # credentials have host '' (not null), so the hook receiver is always on.
            'hooksEnabled': True,
        },
        'jwt': {'secret': 'somesecretkeyhere', 'confirmExpiresInMinutes': 10080},
    }


def apply_env(konfig, environ=None, path=()):
    """Override leaves from KONFIG_<PATH> variables as koding-config-manager does at run time
    (node_modules_koding/koding-config-manager/config.coffee:21-24): a JSON-parsed value replaces the leaf
    unless it is falsy (`val or node`), so false, 0, "" or null cannot override. Returns the names applied."""
    environ = os.environ if environ is None else environ
    applied = []
    for key, value in konfig.items():
        leaf_path = path + (key,)
        if isinstance(value, dict):
            applied += apply_env(value, environ, leaf_path)
            continue
        raw = environ.get('KONFIG_' + '_'.join(leaf_path).upper(), '')
        if raw == '':
            continue
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
        if not parsed and not isinstance(parsed, (list, dict)):
            continue
        konfig[key] = parsed
        applied.append('KONFIG_' + '_'.join(leaf_path).upper())
    return applied


def masked_konfig(konfig):
    """A copy for printing: secrets replaced by a fixed mask."""
    secret_keys = ('password', 'applicationsecret', 'systemhooktoken', 'secret')
    out = {}
    for key, value in konfig.items():
        if isinstance(value, dict):
            out[key] = masked_konfig(value)
        elif key.lower() in secret_keys and value:
            out[key] = '********'
        else:
            out[key] = value
    return out


def load(path, environ=None):
    """Read the file written by ./configure and apply run-time overrides."""
    with open(path, encoding='utf-8') as handle:
        konfig = json.load(handle)
    apply_env(konfig, environ)
    return konfig

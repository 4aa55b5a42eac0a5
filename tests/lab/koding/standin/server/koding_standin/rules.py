"""Koding's own rules and fixed answers, as the stand-in follows them (file:line of upstream in each docstring)."""

import hashlib
import hmac
import ipaddress
import re
import secrets

from . import checkout

# workers/social/lib/social/models/name.coffee:133-134 (JName.validateName, the schema of JUser.username).
USERNAME = re.compile(r'^[a-z0-9][a-z0-9-]+$')
# JName.validateEmail (name.coffee:136-144) uses the npm package validator's isEmail: approximated.
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
CONSOLE_USER, CONSOLE_PASSWORD = 'koding', '1q2w3e4r'

# servers/lib/server/handlers/api/errors.coffee:3-6, 38-41
API_ERRORS = {
    'internalError': {'status': 500, 'message': 'The server encountered an internal error.', 'code': 'InternalError'},
    'invalidInput': {'status': 400, 'message': 'One of the request inputs is invalid.', 'code': 'InvalidInput'},
}
# The methods of each handler class under servers/lib/server/handlers/api/gitlab/ (index.coffee:10-16).
GITLAB_HANDLERS = {
    'key': ('create', 'destroy'),
    'tag': ('push',),
    'user': ('create', 'destroy', 'add_to_team', 'remove_from_team', 'add_to_group', 'remove_from_group'),
    'push': ('main',),
    'group': ('create', 'destroy'),
    'project': ('create', 'destroy', 'rename', 'transfer'),
}
UNDEFINED = object()

# What upstream's Mongo seed (install/docker-mongo/default-db-dump.tar.bz2) holds: the groups koding and guests,
# the users admin (root@localhost) and guestuser, and a JName for each of these four.
SEED_GROUPS = {'koding': 'Koding', 'guests': 'Koding guests'}
SEED_USERS = {'admin': 'root@localhost', 'guestuser': ''}
SEED_NAMES = ('admin', 'guestuser', 'koding', 'guests')
# index.coffee:97 app.post '/:name?/Register'
REGISTER_URL = re.compile(r'^(/[^/]+)?/Register$')
# index.coffee:98 app.post '/:name?/Login'
LOGIN_URL = re.compile(r'^(/[^/]+)?/Login$')
# user/index.coffee:1161-1164 (JUser.authenticateWithOauth with isUserLoggedIn): the GitLab identity is another user's
ALREADY_LINKED = 'Account is already linked with another user.'
UNKNOWN_USER = 'Unknown user name'
# user/index.coffee:1173 (JUser.authenticateWithOauth), for a GitLab identity no user is linked to
SOLO_CLOSED = 'Koding Solo registrations are closed!'
# index.coffee:129 app.get '/:name?/OAuth/url'
OAUTH_URL = re.compile(r'^(/[^/]+)?/OAuth/url$')
# validators.coffee:9-17
TEAM_DOMAIN = re.compile(r'^[a-z0-9]+([-][a-z0-9]+)*$')


def js_string(value):
    """JavaScript's String(value) for a value read from JSON."""
    if value is UNDEFINED:
        return 'undefined'
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return '[object Object]' if isinstance(value, dict) else ','.join(js_string(item) for item in value)
    return str(value)


def parse_event(event):
    """utils.coffee:9-15: 'project_create' -> ('project', 'create'); 'push' -> ('push', 'main')."""
    scope, _sep, method = event.partition('_')
    return scope, method or 'main'


def emailsanitize(email, strict=False, mail_domain='koding.com'):
    """user/emailsanitize.coffee:42-49; strict is `{ excludeDots: yes, excludePlus: yes }` (:3-24, :35-39)."""
    if not email:
        return ''
    email = str(email).strip().lower()
    if re.match('^(.)+@%s' % mail_domain, email):  # :32 checkBaseMail: the domain is used as a pattern
        return email
    parts = email.split('@')
    local, host = parts[0], parts[1] if len(parts) > 1 else 'undefined'  # [local, host] = email.split '@'
    username, *label = local.split('+')
    label = '+'.join(label)
    if strict:
        username = username.replace('.', '').split('+')[0]
    local = '%s+%s' % (username, label) if label and not strict else username
    return '%s@%s' % (local, host)


def email_valid(email):
    """emailchecker.coffee:223-231 (isEmailValid) with :199-202 (check)."""
    if not email:
        return False
    return not any(email.lower().endswith('@' + domain.lower()) for domain in checkout.low_quality_domains())


def express_subdomains(hostname):
    """Express 4 req.subdomains: the host name's labels, right to left, without the last two; none for an IP."""
    try:
        ipaddress.ip_address(hostname.strip('[]'))
        return []
    except ValueError:
        return list(reversed(hostname.split('.')))[2:]


def request_hostname(host_header):
    """Express 4 req.hostname: the Host header without its port."""
    host = host_header or ''
    if host.startswith('['):
        return host[: host.index(']') + 1] if ']' in host else host
    return host.split(':', 1)[0]


def session_group(host_header, base_domain):
    """The group of a request's session: setsession.coffee:12-17."""
    hostname = request_hostname(host_header)
    subdomains = express_subdomains(hostname)
    if len(subdomains) > 3 and re.search(checkout.wildcard_dns_pattern(), hostname):
        group = subdomains[-1]  # req.subdomains.reverse()[0]
    else:
        group = subdomains[1] if len(subdomains) > 1 else (subdomains[0] if subdomains else None)
    if not group or re.match('^%s\\.' % group, str(base_domain or '')):
        group = 'koding'
    return group


def oauth_redirect(error):
    """helpers.coffee:230-237 redirectOauth without a returnUrl: /Home/Oauth?provider=gitlab&error=<err> (null when
    there is none). Express 4.9.5 (package.json:47) sets the Location as given (express/lib/response.js res.location):
    the message's spaces stay spaces."""
    return '/Home/Oauth?provider=gitlab&error=' + str(error)


def hash_password(password, salt=None):
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac('sha256', password.encode(), salt.encode(), 10000).hex()
    return 'pbkdf2$%s$%s' % (salt, digest)


def check_password(password, stored):
    salt = stored.split('$')[1]
    return hmac.compare_digest(hash_password(password, salt), stored)

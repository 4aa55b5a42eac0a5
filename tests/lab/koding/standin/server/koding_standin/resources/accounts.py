"""Accounts: POST /[<name>/]Register and /[<name>/]Login, and the JUser steps team creation shares
(workers/social/lib/social/models/user/index.coffee)."""

from ..checkout import banned_usernames
from ..log import log
from ..rules import (
    EMAIL,
    SEED_NAMES,
    SEED_USERS,
    UNKNOWN_USER,
    USERNAME,
    check_password,
    email_valid,
    emailsanitize,
    hash_password,
    js_string,
)
from ..stores import StoreError

ROUTES = (
    ('POST', r'(/[^/]+)?/Register', 'register'),  # index.coffee:97 app.post '/:name?/Register'
    ('POST', r'(/[^/]+)?/Login', 'login'),  # index.coffee:98 app.post '/:name?/Login'
)


def find_user(request, username):
    """JUser.one { username }: the users created here, and the seed's (whose passwords are not known here)."""
    if username in SEED_USERS:
        return {'username': username, 'email': SEED_USERS[username], 'password_hash': None}
    return request.store.get_user(username=username)


def mail_domain(request):
    return str(request.konfig.get('domains', {}).get('mail') or 'koding.com')


def user_login(request, form):
    """JUser.login (workers/social/lib/social/models/user/index.coffee:468-549): normalizeLoginId (:336-349),
    then validateLoginCredentials (:371-407). Returns (error message, user)."""
    login_id = form.get('username')
    if login_id is not None and '@' in js_string(login_id):
        email = emailsanitize(login_id, mail_domain=mail_domain(request))
        found = request.store.get_user(email=email)
        if found is None:
            return 'Unrecognized email', None
        login_id = found['username']
    username = login_id.lower() if isinstance(login_id, str) else ''  # username_?.toLowerCase?() or ''
    user = find_user(request, username)
    if user is None:
        return UNKNOWN_USER, None
    password = form.get('password')
    if not user['password_hash'] or not isinstance(password, str) or not check_password(password, user['password_hash']):
        return 'Access denied!', None
    return None, user


def validate_all(request, form):
    """JUser.validateAll (index.coffee:1177-1200) with validators.coffee:42-96: the fields that failed, in the
    order their checks answer (agree and password at once, email after Redis, username after MongoDB)."""
    at_once, later = [], []
    if form.get('agree') != 'on':
        at_once.append('agree')
    if not email_valid(form.get('email')):
        later.append('email')
    username = form.get('username')
    if username is None:
        at_once.append('username')
    else:
        # usernameAvailable (index.coffee:1811-1828)
        name = js_string(username)
        if not 4 <= len(name) <= 25 or name in banned_usernames() or name in SEED_NAMES or request.store.get_user(username=name):
            later.append('username')
    password, confirm = form.get('password'), form.get('passwordConfirm')
    if password is None or confirm is None or password != confirm or len(password) < 8:
        at_once.append('password')
    return [field for field in ('agree', 'username', 'password') if field in at_once] + later


def user_convert(request, form, group):
    """JUser.convert (index.coffee:1538-1560) of a guest session into a new user in group. Returns (error
    message, user); the user is stored."""
    username, password = form.get('username'), form.get('password')
    # validateConvertInput (:787-809); a guest session is never a registered account here.
    if isinstance(username, str) and username.startswith('guest-'):
        return 'Reserved username!', None
    if username == 'guestuser':
        return "Reserved username: 'guestuser'!", None
    if password != form.get('passwordConfirm'):
        return 'Passwords must match!', None
    if not isinstance(username, str):
        return 'Username must be a string!', None
    username = username.lower()
    email = emailsanitize(form.get('email'), mail_domain=mail_domain(request))
    form = dict(form, username=username, email=email)
    # verifyUser (:1265-1297): reCAPTCHA is off (config/main.default.coffee:35), validateAll, emailAvailable.
    failed = validate_all(request, form)
    if failed:
        return 'Errors were encountered during validation: %s' % ','.join(failed), None
    strict = emailsanitize(email, strict=True, mail_domain=mail_domain(request))  # emailAvailable (:1797-1806)
    taken = list(request.store.emails()) + [address for address in SEED_USERS.values() if address]
    if any(emailsanitize(other, strict=True, mail_domain=mail_domain(request)) == strict for other in taken):
        return 'Email is already in use!', None
    # verifyEnrollmentEligibility (:937-966): registration is enabled in the seed; checkWithDomain (:661-672)
    # takes anyone into a group that does not exist yet, and any domain into koding (group/index.coffee:698-700).
    # createUser (:1038-1100): the schema's checks on save; their text comes from Bongo (not in the subset).
    if not 2 < len(username) < 26 or not USERNAME.match(username):
        return 'Invalid username', None
    if not EMAIL.match(email):
        return 'Invalid email', None
    user = {'username': username, 'email': email, 'password_hash': hash_password(password or '')}
    try:
        request.store.add_user(user)
    except StoreError:
        return 'Sorry, "%s" is already in use!' % email, None  # :1091-1093, a duplicate key
    return None, user


def email_taken(request, email):
    """emailAvailable (user/index.coffee:1797-1806): another user's address, once both are sanitized strictly."""
    domain = mail_domain(request)
    strict = emailsanitize(emailsanitize(email, mail_domain=domain), strict=True, mail_domain=domain)
    taken = list(request.store.emails()) + [address for address in SEED_USERS.values() if address]
    return any(emailsanitize(other, strict=True, mail_domain=domain) == strict for other in taken)


def register(request):
    """POST /:name?/Register: csrf.coffee, then handlers/register.coffee:7-45 (JUser.convert into koding)."""
    form, cookies = request.body or {}, request.new_cookies
    if request.form_refused(form):  # the clientId check: :17, helpers.coffee:286-289
        return
    error, user = user_convert(request, form, 'koding')
    if error:
        request.send(400, error, headers=cookies)  # :31-38
        return
    session = request.store.create_session(user['username'], 'koding')
    log('user %s registered' % user['username'])
    headers = cookies + [('Set-Cookie', 'clientId=%s; Path=/' % session)]  # :40 setSessionCookie
    if (request.headers.get('X-Requested-With') or '').lower() == 'xmlhttprequest':  # :43 req.xhr
        request.send(200, headers=headers)
        return
    redirect = form.get('redirect')
    request.send(301, headers=headers + [('Location', '/' if redirect is None else redirect)])  # :10-11, :45


def login(request):
    """POST /[<name>/]Login: csrf.coffee, then handlers/login.coffee:8-31 (JUser.login; its error 403 plain text)."""
    form, cookies = request.body or {}, request.new_cookies
    if request.form_refused(form):
        return
    error, user = user_login(request, form)
    if error:
        request.send(403, error, headers=cookies)
        return
    team = form.get('groupName') or 'koding'
    session = request.store.create_session(user['username'], team)
    log('user %s logged in, team %s' % (user['username'], team))
    request.send(200, headers=cookies + [('Set-Cookie', 'clientId=%s; Path=/' % session)])  # :29 setSessionCookie

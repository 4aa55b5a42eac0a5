"""Single sign-on with GitLab: GET /[<name>/]OAuth/url and GET /-/oauth/gitlab/callback
(servers/lib/server/oauth_url.coffee, gitlab_callback.coffee, workers/social/lib/social/models/oauth.coffee)."""

import json
import re
import secrets
import urllib.error
import urllib.request

from ..checkout import OAUTH_MODEL_FILE, callback_flavour, checkout_file, signup_flavour
from ..log import log
from ..rules import ALREADY_LINKED, SEED_NAMES, SOLO_CLOSED, UNDEFINED, hash_password, js_string, oauth_redirect, session_group
from . import accounts

ROUTES = (
    ('GET', r'/-/oauth/gitlab/callback', 'gitlab_callback'),
    ('GET', r'(/[^/]+)?/OAuth/url', 'oauth_url'),  # index.coffee:129 app.get '/:name?/OAuth/url'
)


def oauth_url(request):
    """GET /:name?/OAuth/url: oauth_url.coffee:7-25 and OAuth.getUrl for GitLab
    (workers/social/lib/social/models/oauth.coffee:34-45, 92-110; the context group is koding, so the
    redirect URI is left alone). The scheme is the checkout's oauth.coffee's (the role edits it for HTTPS)."""
    query, cookies, client_id = request.query(), request.new_cookies, request.client_id
    if not client_id:
        request.send(500, {'message': 'clientId is not set'}, headers=cookies)
        return
    provider = query.get('provider')
    if not provider:
        request.send(400, {'message': 'provider is required'}, headers=cookies)
        return
    if provider != 'gitlab':
        request.send(501, 'the lab stand-in serves the gitlab provider only', headers=cookies)
        return
    gitlab = request.konfig['gitlab']
    protocol = re.search(r"protocol = '([a-z]+://)'", checkout_file(OAUTH_MODEL_FILE) or '')
    host = query['host'] if 'host' in query else ('gitlab.com' if gitlab.get('host') is None else gitlab['host'])
    port = ':%s' % gitlab['port'] if gitlab.get('port') not in (None, '', 0, False) else ''
    redirect_uri = gitlab.get('redirectUri')
    if query.get('returnUrl'):
        redirect_uri = '%s?returnUrl=%s' % (redirect_uri, query['returnUrl'])
    url = '%s%s%s/oauth/authorize?client_id=%s&redirect_uri=%s&response_type=code' % (
        protocol.group(1) if protocol else 'http://',
        host,
        port,
        js_string(gitlab.get('applicationId', UNDEFINED)),
        js_string(redirect_uri if redirect_uri is not None else UNDEFINED),
    )
    request.send(200, url, content_type='text/html; charset=utf-8', headers=cookies)


def gitlab_request(request, flavour, path, method, data, extra_headers=None):
    """request(options) of gitlab_callback.coffee: getUrlFor (:10-11), headers (:6-8), json (:57, :72)."""
    gitlab = request.konfig['gitlab']
    host = 'gitlab.com' if gitlab.get('host') is None else gitlab['host']
    port = 80 if gitlab.get('port') is None else gitlab['port']
    url = '%s://%s:%s%s' % (flavour['scheme'], host, port, path)
    headers = {'Accept': 'application/json', 'User-Agent': 'Koding'}
    body = None
    if isinstance(data, dict):
        headers['Content-Type'] = 'application/json'
        body = json.dumps(data).encode()
    headers.update(extra_headers or {})
    outgoing = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(outgoing, timeout=10) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raw = error.read()  # request() hands over the body of any status
    try:
        return json.loads(raw or b'null')
    except ValueError:
        return None


def free_username(request, gitlab_username):
    """The role's signUpWithGitLab: /^[a-z0-9][a-z0-9-]+$/ of 4 to 25 characters (JName.validateName,
    JUser.getValidUsernameLengthRange), else the name cut to 17 with 8 random hex digits (handleUsername)."""
    base = re.sub(r'[^a-z0-9-]+', '-', str(gitlab_username or '').lower()).strip('-') or 'gitlab'
    if 4 <= len(base) <= 25 and not request.store.get_user(username=base) and base not in SEED_NAMES:
        return base
    while True:
        name = base[:17] + secrets.token_hex(4)
        if not request.store.get_user(username=name):
            return name


def gitlab_callback(request):
    """GET /-/oauth/gitlab/callback: gitlab_callback.coffee:62-79 (code -> token), :47-59 (token -> user),
    :17-43 (user -> session), then the user joins the team of the session (setsession.coffee:12-17)."""
    query, cookies = request.query(), request.new_cookies
    gitlab = request.konfig['gitlab']
    flavour = callback_flavour()
    failure = cookies + [('Location', oauth_redirect('could not get access token'))]  # gitlab_callback.coffee:13-14
    if not query.get('code'):
        log('[GITLAB][1/3] Failed to get code from query')
        request.send(302, headers=failure)
        return
    try:
        token = gitlab_request(
            request,
            flavour,
            '/oauth/token',
            'POST',
            {
                'redirect_uri': gitlab['redirectUri'],
                'grant_type': 'authorization_code',
                'client_id': gitlab['applicationId'],
                'client_secret': gitlab['applicationSecret'],
                'code': query['code'],
            },
        )
        access_token = token.get('access_token') if isinstance(token, dict) else None
        if not access_token:
            log('[GITLAB][2/3] Failed to get access_token')
            request.send(302, headers=failure)
            return
        if flavour['bearer']:
            user = gitlab_request(request, flavour, flavour['user_path'], 'GET', None, {'Authorization': 'Bearer %s' % access_token})
        else:
            user = gitlab_request(request, flavour, flavour['user_path'], 'GET', {'access_token': access_token})
    except (OSError, ValueError) as error:
        log('[GITLAB] request failed: %s' % error)
        request.send(302, headers=failure)
        return
    if not isinstance(user, dict) or not user.get('id'):
        log('[GITLAB][3/3] Failed to fetch user info from %s' % flavour['user_path'])
        request.send(302, headers=failure)
        return
    # The real callback only keeps the GitLab user in the session and redirects to /Home/Oauth; the page then
    # posts /OAuth, whose JUser.authenticateWithOauth signs in (user/index.coffee:1120-1174). The stand-in
    # takes both steps at once, and answers a refusal with the redirect the page would show it on.
    gitlab_id = str(user['id'])
    known = request.store.get_user(gitlab_id=gitlab_id)  # fetchUserByProvider: by GitLab user id only (:1119-1128)
    signed_in = request.store.session_user(request.cookies().get('clientId'))
    if signed_in:
        # isUserLoggedIn (the page posts it when its session is a user's, oauthcontroller.coffee:53-78):
        # the identity is linked to that user (persistOauthInfo), unless another user holds it (:1160-1169).
        if known and known['username'] != signed_in:
            request.send(302, headers=cookies + [('Location', oauth_redirect(ALREADY_LINKED))])
            return
        request.store.link_gitlab(signed_in, gitlab_id)
        username = signed_in
    elif known:
        username = known['username']
    elif not signup_flavour()['sign_up']:
        log('[GITLAB] %s' % SOLO_CLOSED)
        request.send(302, headers=cookies + [('Location', oauth_redirect(SOLO_CLOSED))])
        return
    elif user.get('email') and accounts.email_taken(request, user['email']):
        request.send(302, headers=cookies + [('Location', oauth_redirect('Email is already in use!'))])  # verifyUser
        return
    else:
        # The role's edit: GitLab's username lowered to Koding's name rule, a random suffix when it is taken.
        username = free_username(request, user.get('username'))
        request.store.add_user(
            {
                'username': username,
                'email': user.get('email') or '%s@gitlab.invalid' % username,
                'password_hash': hash_password(secrets.token_hex(16)),
                'gitlab_id': gitlab_id,
            }
        )
    team = session_group(request.headers.get('Host'), request.konfig.get('domains', {}).get('base'))
    request.store.join_team(username, team)
    session = request.store.create_session(username, team)
    log('[GITLAB] %s signed in, team %s' % (username, team))
    request.send(302, headers=cookies + [('Set-Cookie', 'clientId=%s; Path=/; HttpOnly' % session), ('Location', '/')])

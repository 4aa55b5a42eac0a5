"""GitLab's system hook receiver, POST /-/api/gitlab (servers/lib/server/handlers/api/gitlab/)."""

import secrets

from ..checkout import signup_flavour
from ..log import log
from ..rules import API_ERRORS, GITLAB_HANDLERS, UNDEFINED, hash_password, js_string, parse_event

# Only served while gitlab.hooksEnabled (handlers/api/gitlab/index.coffee:20): 404 otherwise.
ROUTES = (('POST', r'/-/api/gitlab', 'gitlab_hook'),)


def served(konfig):
    return bool(konfig['gitlab']['hooksEnabled'])


def gitlab_hook(request):
    """POST /-/api/gitlab: servers/lib/server/handlers/api/gitlab/index.coffee:18-39 and utils.coffee:17-25."""
    body = request.body or {}
    token = request.headers.get('X-Gitlab-Token')  # None when the header is absent (undefined in Express)
    event = body.get('event_name')
    # utils.coffee:5 GITLAB_TOKEN = String(KONFIG.gitlab.systemHookToken); :21-22 the checks, in this order.
    # An empty header matches an empty configured token.
    expected = js_string(request.konfig['gitlab'].get('systemHookToken', UNDEFINED))
    if not (token or event) or token != expected or not event:
        request.send(403, {'error': 'not valid'})
        return
    scope, method = parse_event(str(event))
    handler = GITLAB_HANDLERS.get(scope)
    if handler is None:
        request.send(403, {"error": "not valid"})  # index.coffee:29-30
        return
    if method not in handler:
        # handler[method] is undefined: calling it throws, and Express answers 500.
        request.send(500, 'TypeError: handler[method] is not a function')
        return
    if (scope, method) == ('user', 'create'):
        gitlab_user_create(request, body)
    elif (scope, method) == ('user', 'destroy'):
        gitlab_user_destroy(request, body)
    elif scope in ('push', 'tag') and body.get('project') is None:
        # push.coffee:9-21, tag.coffee:9-23: destructuring an undefined data.project throws; the TypeError serialises as {}.
        request.send(403, {'error': {'message': 'missing data', 'error': {}}})
    else:
        request.send(403, {'error': {'message': '%s %s handler is not implemented' % (scope, method)}})


def gitlab_user_create(request, body):
    """user.coffee:14-68 (JUser.convert into the GitLab team), generichandler.coffee:12-24 (the input checks)."""
    username, email = body.get('username'), body.get('email')
    if not email or not username:
        request.send(400, {'error': API_ERRORS['invalidInput']})
        return
    if request.store.get_user(username=username):
        request.send(403, {'error': {'message': 'user already exists'}})
        return
    team = request.konfig['gitlab']['team']
    if not request.store.get_team(team):
        request.send(500, {'error': API_ERRORS['internalError']})  # bongo.fetchClient with an unknown group
        return
    if request.store.get_user(email=email):
        request.send(403, {'error': {'message': 'Email is already in use!'}})
        return
    user = {'username': username, 'email': email, 'password_hash': hash_password(secrets.token_hex(16))}
    if signup_flavour()['hook_links'] and body.get('user_id') is not None:
        user['gitlab_id'] = str(body['user_id'])  # the role's edit: foreignAuth.gitlab.foreignId = String(user_id)
    request.store.add_user(user, team)
    log('gitlab hook: user %s created in team %s' % (username, team))
    # async.series hands over one result per step; only the last step passes one (user.coffee:60-66).
    request.send(200, {'data': [None, None, None, username]})


def gitlab_user_destroy(request, body):
    """user.coffee:72-103: the user must exist, then JUser.unregister."""
    username = body.get('username')
    if not username or not request.store.delete_user(username):
        request.send(403, {'error': {'message': 'user not exists'}})
        return
    log('gitlab hook: user %s removed' % username)
    request.send(200, {'data': [None, None, None]})

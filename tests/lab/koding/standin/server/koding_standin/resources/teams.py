"""Teams: GET /-/team/<slug> and POST /-/teams/create (servers/lib/server/handlers/createteam.coffee)."""

import urllib.parse

from ..checkout import reserved_slugs
from ..log import log
from ..rules import SEED_GROUPS, TEAM_DOMAIN, UNKNOWN_USER
from . import accounts

ROUTES = (
    ('GET', r'/-/team/[^/]*', 'get_team'),
    ('POST', r'/-/teams/create', 'create_team'),
)


def get_team(request):
    """JGroup.one { slug } as the team route answers it (a 404 'no group found' when there is none)."""
    extra = request.new_cookies
    team = find_team(request, urllib.parse.unquote(request.url_path[len('/-/team/') :]))
    if team:
        request.send(
            200,
            {'slug': team['slug'], 'title': team['title'], 'privacy': 'private', 'visibility': 'hidden', 'counts': {'members': team['members']}},
            headers=extra,
        )
    else:
        request.send(404, 'no group found', headers=extra)


def find_team(request, slug):
    """JGroup.one { slug }: the teams created here, and the groups of upstream's Mongo seed."""
    if slug in SEED_GROUPS:
        return {'slug': slug, 'title': SEED_GROUPS[slug], 'members': 0}
    return request.store.get_team(slug)


def create_team(request):
    """POST /-/teams/create: csrf.coffee, then handlers/createteam.coffee."""
    form, cookies = request.body or {}, request.new_cookies
    if request.form_refused(form):  # the clientId check: :34, helpers.coffee:286-289
        return
    slug, username, email = form.get('slug'), form.get('username'), form.get('email')
    already_member = form.get('alreadyMember') == 'true'  # :41
    if slug is None:
        # :64 slug.toLowerCase?() on undefined throws; Express answers 500.
        request.send(500, "TypeError: Cannot read property 'toLowerCase' of undefined", headers=cookies)
        return
    if isinstance(username, str) and slug.lower() == username.lower():  # :64-66
        request.send(400, {'status': 400, 'message': 'Sorry, your group domain and your username can not be the same!'}, headers=cookies)
        return
    if find_team(request, slug):  # :69-72, with a suggested free slug (:129-143)
        suggested = next(('%s%d' % (slug, index) for index in range(1, 21) if not find_team(request, '%s%d' % (slug, index))), None)
        answer = {'status': 403, 'message': "Sorry, Team URL '%s.%s' is already in use" % (slug, request.konfig['hostname'])}
        if suggested:
            answer['suggested'] = suggested
        request.send(403, answer, headers=cookies)
        return
    # :75-119 checkUserLogin: whether the user exists, by logging in.
    from_hubspot = form.get('fromHubspot')
    if already_member and from_hubspot and email and not username:
        form = dict(form, username=email)  # :92-94
    elif not already_member and from_hubspot and email:
        candidate, index = email.split('@')[0], 1  # :96-116: "#{candidateUsername}#{index++ or ''}" starts at 1
        while accounts.find_user(request, '%s%d' % (candidate, index)):
            index += 1
        form = dict(form, username='%s%d' % (candidate, index))
    error, owner = accounts.user_login(request, form)
    if already_member and error == UNKNOWN_USER:  # :84-85
        request.send(400, {'status': 400, 'message': UNKNOWN_USER}, headers=cookies)
        return
    already_member = error != UNKNOWN_USER  # :89
    # :148-150 JUser.login for a known user, JUser.convert for a new one; their errors are 400 text (:158, :290-295).
    if not already_member:
        error, owner = accounts.user_convert(request, form, slug)
    if error:
        request.send(400, error, headers=cookies)
        return
    # :191-192, validateGroupData (:250-261): only now, after the user exists.
    if not slug:
        problem = 'Group slug can not be empty.'
    elif slug in reserved_slugs() or not TEAM_DOMAIN.match(slug):
        problem = 'Invalid group slug.'
    elif not form.get('companyName'):
        problem = 'Company name can not be empty.'
    else:
        problem = None
    if problem:
        request.send(400, problem, headers=cookies)
        return
    request.store.create_team(slug, form.get('companyName'), owner, new_user=False)
    session = request.store.create_session(owner['username'], slug)
    log('team %s created by %s' % (slug, owner['username']))
    request.send(200, {'token': session}, headers=cookies)

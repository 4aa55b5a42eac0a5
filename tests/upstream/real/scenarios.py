"""Sign in with GitLab, as a person does it, against upstream's real webserver and the lab GitLab.

Run by stack.py inside the test's network namespace (KODING_URL, GITLAB_URL, MONGO_URL, KODING_ROOT,
KODING_NODE and STACK_WORK in the environment); writes what each step answered to $STACK_WORK/scenarios.json
for test_real.py to judge. Each sign-in goes the way the browser goes:

1. the page on gitlab.<host> (a Koding session: the clientId cookie, and _csrf);
2. GitLab: sign in, authorize the Koding application, back to KONFIG.gitlab.redirectUri with a code;
3. the real callback, GET /-/oauth/gitlab/callback?code=..., which redirects to /Home/Oauth?provider=gitlab&error=...
   (servers/lib/server/helpers.coffee:230-237);
4. what the page then does (client/landing/site.landing/coffee/core/oauthcontroller.coffee:53-78): POST /OAuth
   with isUserLoggedIn and provider, which runs JUser.authenticateWithOauth (servers/lib/server/oauth.coffee).
Then the database says who the session belongs to, and which user holds the GitLab identity.

test_differential.py runs the same scenarios against the Koding stand-in (tests/lab/koding/standin), in its own
process: it sets OBSERVER to read the stand-in's store instead of upstream's Mongo, and ONE_STEP, as the stand-in
signs in at the callback (there is no POST /OAuth to make).
"""

import json
import os
import re
import subprocess
import sys
import uuid
from urllib.parse import parse_qs, urlsplit

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, REPO_ROOT)
from tests.lab.gitlab.gitlab_lab.tokens import ADMIN_TOKEN  # noqa: E402  pylint: disable=wrong-import-position

KODING = os.environ['KODING_URL']
GITLAB = os.environ['GITLAB_URL']
KONFIG = json.loads(os.environ['KONFIG_JSON'])
TEAM = KONFIG['gitlab']['team']
REDIRECT_URI = KONFIG['gitlab']['redirectUri']
# The page the person is on: gitlab.<host>, the host name the redirect URI names.
TEAM_HOST = urlsplit(REDIRECT_URI).netloc
with open(os.path.join(os.environ['STACK_WORK'], 'gitlab-application.json'), encoding='utf-8') as _handle:
    APPLICATION = json.load(_handle)
PASSWORD = 'Lab-password-1'  # every lab user's, GitLab's and the team owner's


def env_value(name):
    return os.environ.get(name, '')


def mongo(collection, query):
    result = subprocess.run(
        [os.environ['KODING_NODE'], os.path.join(HERE, 'mongo_find.js'), os.environ['MONGO_URL'], collection, json.dumps(query)],
        cwd=os.environ['KODING_ROOT'],
        env=dict(os.environ, NODE_PATH=os.path.join(os.environ['KODING_ROOT'], 'node_modules')),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads([line for line in result.stdout.splitlines() if line.startswith('RESULT ')][-1][len('RESULT ') :])


class MongoObserver:
    """What upstream's database says (read with upstream's own driver)."""

    @staticmethod
    def session_username(client_id):
        session = mongo('jSessions', {'clientId': client_id})
        return session[0].get('username') if session else None

    @staticmethod
    def linked(gitlab_id):
        return [user['username'] for user in mongo('jUsers', {'foreignAuth.gitlab.foreignId': str(gitlab_id)})]

    @staticmethod
    def users(username):
        return [user['username'] for user in mongo('jUsers', {'username': username})]

    @staticmethod
    def team_member(username):
        """Whether the account of username is a member of the team (a jraphical 'member' relationship)."""
        group = mongo('jGroups', {'slug': TEAM})
        accounts = mongo('jAccounts', {'profile.nickname': username})
        if not group or not accounts:
            return False
        edges = mongo('relationships', {'sourceId': {'$oid': group[0]['_id']}, 'targetId': {'$oid': accounts[0]['_id']}, 'as': 'member'})
        return bool(edges)


OBSERVER = MongoObserver()
# The stand-in signs in at the callback itself: no POST /OAuth after it.
ONE_STEP = False


def gitlab_api(method, path, **kwargs):
    answer = requests.request(method, GITLAB + '/api/v4' + path, headers={'PRIVATE-TOKEN': ADMIN_TOKEN}, timeout=30, **kwargs)
    answer.raise_for_status()
    return answer.json()


class Browser:
    """One person's browser on gitlab.<host> (Koding) and on GitLab."""

    def __init__(self):
        self.koding = requests.Session()
        self.gitlab = requests.Session()

    def koding_request(self, method, path, **kwargs):
        headers = dict(kwargs.pop('headers', {}), Host=TEAM_HOST)
        return self.koding.request(method, KODING + path, headers=headers, allow_redirects=False, timeout=60, **kwargs)

    def cookie(self, name):
        return self.koding.cookies.get(name)

    def open_koding(self):
        answer = self.koding_request('GET', '/')
        return {'status': answer.status_code, 'clientId': bool(self.cookie('clientId'))}

    def csrf(self):
        """Koding's double-submit token (servers/lib/server/csrf.coffee: the _csrf cookie must equal the form's
        _csrf). The page gets one from POST /-/teams/allow; any value passes the check, so one of ours."""
        token = uuid.uuid4().hex
        for cookie in [cookie for cookie in self.koding.cookies if cookie.name == '_csrf']:
            self.koding.cookies.clear(cookie.domain, cookie.path, cookie.name)
        self.koding.cookies.set('_csrf', token)
        return token

    def password_login(self, username, password):
        answer = self.koding_request('POST', '/Login', data={'_csrf': self.csrf(), 'username': username, 'password': password, 'groupName': TEAM})
        return {'status': answer.status_code, 'body': answer.text[:300]}

    def gitlab_code(self, login, password):
        """Signs in to GitLab and approves the Koding application; the code GitLab hands back."""
        signed_in = self.gitlab.post(GITLAB + '/users/sign_in', data={'user[login]': login, 'user[password]': password}, allow_redirects=False, timeout=30)
        assert signed_in.status_code == 302, signed_in.text[:300]
        params = {'client_id': APPLICATION['application_id'], 'redirect_uri': REDIRECT_URI, 'response_type': 'code', 'state': 'lab'}
        page = self.gitlab.get(GITLAB + '/oauth/authorize', params=params, allow_redirects=False, timeout=30)
        if page.status_code == 200:
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text.split('</form>')[0]))
            page = self.gitlab.post(GITLAB + '/oauth/authorize', data=fields, allow_redirects=False, timeout=30)
        location = page.headers['Location']
        assert location.startswith(REDIRECT_URI + '?'), location
        return parse_qs(urlsplit(location).query)['code'][0]

    def sign_in_with_gitlab(self, login, logged_in=False):
        """Steps 2-4 of the module docstring; what each answered, and whom the session now belongs to."""
        code = self.gitlab_code(login, PASSWORD)
        return self.callback({'code': code}, logged_in=logged_in)

    def callback(self, params, logged_in=False):
        """The real callback with params, then (unless it failed or ONE_STEP) what the page posts."""
        callback = self.koding_request('GET', '/-/oauth/gitlab/callback', params=params)
        location = callback.headers.get('Location') or ''
        result = {'callback_status': callback.status_code, 'callback_location': callback.headers.get('Location'), 'oauth_status': None, 'oauth_error': None}
        # The page posts /OAuth only when the callback brought no error (oauthcontroller.coffee:53-78).
        if not ONE_STEP and location.endswith('error=null'):
            oauth = self.koding_request('POST', '/OAuth', data={'isUserLoggedIn': 'true' if logged_in else 'false', 'provider': 'gitlab'})
            try:
                body = oauth.json()
            except ValueError:
                body = oauth.text
            result.update(oauth_status=oauth.status_code, oauth_error=body if oauth.status_code != 200 else None)
        result['session_username'] = OBSERVER.session_username(self.cookie('clientId'))
        return result


def linked_users(gitlab_id):
    return OBSERVER.linked(gitlab_id)


def team_member(username):
    return bool(username) and OBSERVER.team_member(username)


def create_gitlab_user(username, email, name):
    return gitlab_api('POST', '/users', json={'username': username, 'email': email, 'name': name, 'password': PASSWORD})['id']


def create_team(owner):
    """The team GitLab users join, created over HTTP as the role's koding_team module does."""
    browser = Browser()
    form = {
        '_csrf': browser.csrf(),
        'slug': TEAM,
        'companyName': 'GitLab',
        'username': owner,
        'email': owner + '@lab.invalid',
        'password': PASSWORD,
        'passwordConfirm': PASSWORD,
        'agree': 'on',
    }
    answer = browser.koding_request('POST', '/-/teams/create', data=form)
    return {'status': answer.status_code, 'body': answer.text[:300]}


def run():
    """Every scenario, in order; what each answered."""
    results = {'redirect_uri': REDIRECT_URI}
    owner = 'hopper'
    results['create_team'] = create_team(owner)
    # GitLab users made before the system hook exists (as on a GitLab that had users before Koding came).
    ids = {
        'new': create_gitlab_user('ada.lab', 'ada@lab.invalid', 'Ada Lovelace'),
        'clash': create_gitlab_user(owner, 'grace.hopper@lab.invalid', 'Grace Hopper'),
        'linker': create_gitlab_user('linker', 'linker@lab.invalid', 'Link Er'),
        # The team owner's address, written another way (emailsanitize drops dots and +labels when it compares).
        'mailer': create_gitlab_user('mailer', 'hop.per+gitlab@lab.invalid', 'Mail Er'),
    }
    # The system hook, as the GitLab stage registers it, then a user GitLab creates afterwards.
    gitlab_api('POST', '/hooks', json={'url': KODING + '/-/api/gitlab', 'token': env_value('KONFIG_GITLAB_SYSTEMHOOKTOKEN')})
    ids['hook'] = create_gitlab_user('turing', 'turing@lab.invalid', 'Alan Turing')
    deliveries = requests.get(GITLAB + '/__lab__/deliveries', timeout=30).json()
    results['hook_delivery'] = [delivery.get('status') for delivery in deliveries if delivery.get('event_name') == 'user_create']
    results['hook_user'] = {
        'koding_users': OBSERVER.users('turing'),
        'linked_before_sign_in': linked_users(ids['hook']),
    }
    results['ids'] = ids

    # A GitLab user new to Koding signs in (twice: the second visit finds the same account).
    first = Browser()
    first.open_koding()
    results['new_user'] = dict(first.sign_in_with_gitlab('ada.lab'), linked=linked_users(ids['new']))
    results['new_user']['team_member'] = bool(results['new_user']['session_username']) and team_member(results['new_user']['session_username'])
    again = Browser()
    again.open_koding()
    results['new_user_again'] = dict(again.sign_in_with_gitlab('ada.lab'), linked=linked_users(ids['new']))

    # The user the hook created signs in: the same account, found by GitLab user id.
    hooked = Browser()
    hooked.open_koding()
    results['hook_user'].update(hooked.sign_in_with_gitlab('turing'), linked=linked_users(ids['hook']))
    results['hook_user']['team_member'] = team_member('turing')

    # A GitLab user whose username a Koding user (the team owner) already has: never that owner's account.
    clash = Browser()
    clash.open_koding()
    results['username_clash'] = dict(clash.sign_in_with_gitlab(owner), linked=linked_users(ids['clash']))

    # The guide's flow: sign in with the password, then link GitLab (account settings); then sign in with GitLab.
    linker = Browser()
    linker.open_koding()
    results['password_login'] = linker.password_login(owner, PASSWORD)
    results['link'] = dict(linker.sign_in_with_gitlab('linker', logged_in=True), linked=linked_users(ids['linker']))
    linked = Browser()
    linked.open_koding()
    results['linked_user'] = dict(linked.sign_in_with_gitlab('linker'), linked=linked_users(ids['linker']))

    # A GitLab user new to Koding whose address a Koding user (the team owner) already has.
    mailer = Browser()
    mailer.open_koding()
    results['email_in_use'] = dict(mailer.sign_in_with_gitlab('mailer'), linked=linked_users(ids['mailer']))

    # The callback without a code, and with a code GitLab never issued: the failure redirect, no sign-in.
    for name, params in (('no_code', {}), ('bad_code', {'code': 'not-a-code-' + uuid.uuid4().hex})):
        browser = Browser()
        browser.open_koding()
        results[name] = browser.callback(params)

    for name in ('new_user_again', 'username_clash', 'link', 'linked_user', 'email_in_use'):
        results[name]['team_member'] = team_member(results[name]['session_username'])
    return results


def main():
    results = run()
    with open(os.path.join(os.environ['STACK_WORK'], 'scenarios.json'), 'w', encoding='utf-8') as handle:
        json.dump(results, handle, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == '__main__':
    main()

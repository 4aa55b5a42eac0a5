"""The files of the Koding checkout the stand-in reads its lists and rules from (upstream's, or the role's edited
copies mounted over them), so that it follows whichever the deployment carries."""

import os
import re

# The stand-in's root (the checkout): server/koding_standin/ is two levels below it.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RESERVED_SLUGS_FILE = 'workers/social/lib/social/models/user/reservedteamdomains.coffee'
EMAIL_CHECKER_FILE = 'workers/social/lib/social/models/user/emailchecker.coffee'
USER_MODEL_FILE = 'workers/social/lib/social/models/user/index.coffee'
SETSESSION_FILE = 'servers/lib/server/setsession.coffee'
CALLBACK_FILE = 'servers/lib/server/gitlab_callback.coffee'
OAUTH_MODEL_FILE = 'workers/social/lib/social/models/oauth.coffee'
HOOK_USER_FILE = 'servers/lib/server/handlers/api/gitlab/user.coffee'


def checkout_file(path):
    """Text of a file of the checkout (upstream's, or the role's edited copy mounted over it), else None."""
    try:
        with open(os.path.join(ROOT, path), encoding='utf-8') as handle:
            return handle.read()
    except OSError:
        return None


def reserved_slugs():
    """Upstream's reservedteamdomains.coffee when the checkout has it (build.sh adds it), else none."""
    text = checkout_file(RESERVED_SLUGS_FILE) or ''
    return set(re.findall(r"^\s*'([^']*)'\s*$", text, re.MULTILINE))


def coffee_list(text, start):
    """The quoted strings of the CoffeeScript array that starts at the first `start` in text (empty when absent)."""
    if not text or start not in text:
        return []
    block = text[text.index(start) + len(start) :]
    return re.findall(r"'([^']*)'", block[: block.index(']')])


def low_quality_domains():
    """emailchecker.coffee:6-190 LOW_QUALITY_DOMAINS when the checkout has the file (build.sh adds it). The list of
    the npm package disposable-email-domains that it is added to (:192) is not there."""
    return coffee_list(checkout_file(EMAIL_CHECKER_FILE), 'LOW_QUALITY_DOMAINS = [')


def banned_usernames():
    """user/index.coffee:29 @bannedUserList when the checkout has the file (build.sh adds it)."""
    return coffee_list(checkout_file(USER_MODEL_FILE), '@bannedUserList = [')


def wildcard_dns_pattern():
    """The host-name pattern of setsession.coffee:13 as the checkout's file has it (upstream: /xip\\.io$/)."""
    match = re.search(r'req\.subdomains\.length > 3 and /(.+?)/\.test req\.hostname', checkout_file(SETSESSION_FILE) or '')
    return match.group(1) if match else r'xip\.io$'


def callback_flavour():
    """How gitlab_callback.coffee of the checkout reaches GitLab: upstream's (:11 http, :54 /api/v3/user, :57 the
    token in a JSON body of a GET) unless the role's edited copy is mounted over it."""
    text = checkout_file(CALLBACK_FILE)
    if text is None:
        return {'scheme': 'http', 'user_path': '/api/v3/user', 'bearer': False}
    scheme = re.search(r'"(\w+)://#\{gitlab\.host', text)
    return {
        'scheme': scheme.group(1) if scheme else 'http',
        'user_path': '/api/v4/user' if "getUrlFor '/api/v4/user'" in text else '/api/v3/user',
        'bearer': 'Bearer #{access_token}' in text,
    }


def signup_flavour():
    """Whether the role's sign-up edits are mounted over the checkout: JUser.authenticateWithOauth creating the
    account of an unlinked GitLab identity (user/index.coffee), and the user_create hook linking the account it
    creates to the GitLab user id (handlers/api/gitlab/user.coffee). Upstream's files do neither."""
    return {
        'sign_up': 'signUpWithGitLab' in (checkout_file(USER_MODEL_FILE) or ''),
        'hook_links': "'foreignAuth.gitlab.foreignId'" in (checkout_file(HOOK_USER_FILE) or ''),
    }

"""The browser side of GitLab that an OAuth sign-in passes through: the session cookie, /users/sign_in (Devise), /.

GitLab keeps a browser's session in the `_gitlab_session` cookie. A stranger sent to a page that needs a
signed-in user (Doorkeeper's authorize page) gets the page's path stored as `user_return_to` and a redirect to
/users/sign_in (Devise's authenticate_user!); a successful sign-in redirects back there (after_sign_in_path_for).
"""

import html
import secrets
from http.cookies import CookieError, SimpleCookie

from ..params import digest

SESSION_COOKIE = "_gitlab_session"
# devise.failure.invalid with GitLab's authentication key, login (config/locales/devise.en.yml).
INVALID_LOGIN = "Invalid Login or password."


def page(title, body, status=200, headers=None):
    """An HTML page, as (status, text, headers)."""
    text = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s · GitLab</title>"
        "<style>body{font-family:sans-serif;margin:0}header{background:#292961;color:#fff;padding:12px 24px;font-weight:bold}"
        "main{max-width:420px;margin:48px auto;padding:24px;border:1px solid #ddd;border-radius:4px}"
        "label{display:block;margin-top:12px}input[type=text],input[type=password]{width:100%%;padding:6px;box-sizing:border-box}"
        ".btn{margin-top:16px;padding:8px 16px}.btn-success{background:#1aaa55;color:#fff;border:0}"
        ".flash-alert{background:#fbe5e1;padding:8px;margin-bottom:12px}</style></head>"
        "<body><header>GitLab</header><main>%s</main></body></html>\n"
    ) % (html.escape(title), body)
    answer_headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
    answer_headers.update(headers or {})
    return status, text, answer_headers


def redirect(location, headers=None):
    answer_headers = {"Location": location, "Content-Type": "text/html; charset=utf-8"}
    answer_headers.update(headers or {})
    return 302, "<html><body>You are being <a href=\"%s\">redirected</a>.</body></html>" % html.escape(location), answer_headers


def session_token(ctx):
    jar = SimpleCookie()
    try:
        jar.load(ctx.header("Cookie") or "")
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel else None


def browser_session(ctx):
    """(token, session) of this browser; a new anonymous session when it has none (its cookie still to be set)."""
    token = session_token(ctx)
    if token and token in ctx.state.web_sessions:
        return token, ctx.state.web_sessions[token]
    token = secrets.token_hex(16)
    ctx.state.web_sessions[token] = {"user_id": None, "return_to": None}
    return token, ctx.state.web_sessions[token]


def session_cookie(token):
    return {"Set-Cookie": "%s=%s; path=/; HttpOnly; SameSite=Lax" % (SESSION_COOKIE, token)}


def session_user(ctx):
    """The user this browser is signed in as, or None."""
    token = session_token(ctx)
    session = ctx.state.web_sessions.get(token) if token else None
    if not session or session["user_id"] is None:
        return None
    user = ctx.state.users.get(session["user_id"])
    return user if user and user["state"] == "active" else None


def require_sign_in(ctx, return_to):
    """Devise's authenticate_user! for a stranger: keep where they were going, send them to the sign-in form."""
    token, session = browser_session(ctx)
    session["return_to"] = return_to
    return redirect(ctx.base_url + "/users/sign_in", session_cookie(token))


def sign_in_form(alert=None, login=""):
    flash = '<div class="flash-alert" role="alert">%s</div>' % html.escape(alert) if alert else ""
    return page(
        "Sign in",
        flash
        + (
            '<h1>Sign in</h1>'
            '<form class="new_user" id="new_user" action="/users/sign_in" accept-charset="UTF-8" method="post">'
            '<label for="user_login">Username or email</label>'
            '<input type="text" name="user[login]" id="user_login" value="%s" autocomplete="username" autofocus required>'
            '<label for="user_password">Password</label>'
            '<input type="password" name="user[password]" id="user_password" autocomplete="current-password" required>'
            '<input type="submit" name="commit" value="Sign in" class="btn btn-success" data-testid="sign-in-button">'
            '</form>'
        )
        % html.escape(login),
    )


def sign_in_page(ctx):
    """GET /users/sign_in: the form; a signed-in user goes to the dashboard (Devise's require_no_authentication)."""
    if session_user(ctx) is not None:
        return redirect(ctx.base_url + "/")
    return sign_in_form()


def sign_in(ctx):
    """POST /users/sign_in: username or email (GitLab's login key) and password. Failure: the form again with Devise's alert."""
    login = str(ctx.params.get("user[login]") or "")
    password = str(ctx.params.get("user[password]") or "")
    user = next((user for user in ctx.state.users.values() if login and login.lower() in (user["username"].lower(), user["email"].lower())), None)
    if user is None or user["state"] != "active" or not user.get("password_digest") or not secrets.compare_digest(digest(password), user["password_digest"]):
        return sign_in_form(INVALID_LOGIN, login)
    old_token, old_session = browser_session(ctx)
    # Devise renews the session id on sign-in (session fixation); what it held travels on.
    del ctx.state.web_sessions[old_token]
    token = secrets.token_hex(16)
    ctx.state.web_sessions[token] = {"user_id": user["id"], "return_to": None}
    return redirect(ctx.base_url + (old_session["return_to"] or "/"), session_cookie(token))


def dashboard(ctx):
    """GET /: the dashboard of a signed-in user; strangers are sent to sign in."""
    user = session_user(ctx)
    if user is None:
        return require_sign_in(ctx, "/")
    return page("Projects · Dashboard", '<h1>Projects</h1><p class="current-user">Signed in as <strong>@%s</strong></p>' % html.escape(user["username"]))


ROUTES = [
    ("GET", r"/", dashboard, None, None),
    ("GET", r"/users/sign_in", sign_in_page, None, None),
    ("POST", r"/users/sign_in", sign_in, None, None),
]

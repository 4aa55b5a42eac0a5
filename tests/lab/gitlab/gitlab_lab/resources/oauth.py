"""GitLab's OAuth 2 provider (Doorkeeper): /oauth/authorize, /oauth/token, and the sign-in page it sends strangers to."""

import base64
import html
import secrets
import time
from urllib.parse import urlencode

from ..params import ApiError, digest
from . import web
from .auth import ACCESS_TOKEN_LIFETIME, signed_in_user

GRANT_LIFETIME = 600
# Doorkeeper's own wording.
OAUTH_ERRORS = {
    "invalid_client": "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
    "invalid_redirect_uri": "The redirect uri included is not valid.",
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, "
    "or was issued to another client.",
    "invalid_request": "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.",
    "unsupported_response_type": "The authorization server does not support this response type.",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "access_denied": "The resource owner or authorization server denied the request.",
}


def oauth_error(status, error, headers=None):
    return ApiError(status, {"error": error, "error_description": OAUTH_ERRORS[error]}, headers)


def redirect(location):
    return (
        302,
        "<html><body>You are being <a href=\"%s\">redirected</a>.</body></html>" % location,
        {"Location": location, "Content-Type": "text/html; charset=utf-8"},
    )


def with_query(uri, pairs):
    return uri + ("&" if "?" in uri else "?") + urlencode([(key, value) for key, value in pairs if value is not None])


def pre_authorization(ctx):
    """Doorkeeper's pre_auth checks, in its order: (app, redirect_uri, scopes, state), or a redirect/error to answer."""
    params = ctx.params
    app = next((app for app in ctx.state.applications.values() if app["uid"] == params.get("client_id")), None)
    if app is None:
        raise oauth_error(400, "invalid_client")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri or redirect_uri not in app["redirect_uri"].split():
        raise oauth_error(400, "invalid_redirect_uri")
    state = params.get("state")
    if params.get("response_type") != "code":
        return None, redirect(
            with_query(
                redirect_uri, [("error", "unsupported_response_type"), ("error_description", OAUTH_ERRORS["unsupported_response_type"]), ("state", state)]
            )
        )
    scopes = str(params.get("scope") or "").split() or list(app["scopes"])
    if not set(scopes) <= set(app["scopes"]):
        return None, redirect(with_query(redirect_uri, [("error", "invalid_scope"), ("error_description", OAUTH_ERRORS["invalid_scope"]), ("state", state)]))
    return (app, redirect_uri, scopes, state), None


def grant_code(ctx, user, pre_auth):
    app, redirect_uri, scopes, state = pre_auth
    code = secrets.token_hex(32)
    ctx.state.grants[code] = {
        "app_id": app["id"],
        "user_id": user["id"],
        "redirect_uri": redirect_uri,
        "scopes": scopes,
        "expires_at": time.time() + GRANT_LIFETIME,
    }
    return redirect(with_query(redirect_uri, [("code", code), ("state", state)]))


def matching_token(state, app_id, user_id, scopes):
    """Doorkeeper's matching_token?: the owner already holds a live token of this application covering these scopes."""
    now = time.time()
    return any(
        record["app_id"] == app_id
        and record["user_id"] == user_id
        and record["state"] == "active"
        and now <= record["created_at"] + ACCESS_TOKEN_LIFETIME
        and set(scopes) <= set(record["scopes"])
        for record in state.access_tokens.values()
    )


def authorize_page(app, pre_auth):
    """Doorkeeper's authorizations/new as GitLab renders it: the application, its scopes, Authorize and Deny."""
    _app, redirect_uri, scopes, state = pre_auth
    hidden = "".join(
        '<input type="hidden" name="%s" value="%s">' % (name, html.escape(value or ""))
        for name, value in (("client_id", app["uid"]), ("redirect_uri", redirect_uri), ("state", state), ("response_type", "code"), ("scope", " ".join(scopes)))
    )
    scope_items = "".join("<li>%s</li>" % html.escape(scope) for scope in scopes)
    body = (
        '<h1>Authorize %s to use your account?</h1>'
        '<p>An application called <strong>%s</strong> is requesting access to your GitLab account.</p>'
        '<p>This application will be able to:</p><ul class="scopes-list">%s</ul>'
        '<form action="/oauth/authorize" method="post" style="display:inline">%s'
        '<input type="submit" name="commit" value="Authorize" class="btn btn-success" data-testid="authorization-button"></form> '
        '<form action="/oauth/authorize" method="post" style="display:inline"><input type="hidden" name="_method" value="delete">%s'
        '<input type="submit" name="commit" value="Deny" class="btn btn-danger"></form>'
    ) % (html.escape(app["name"]), html.escape(app["name"]), scope_items, hidden, hidden)
    return web.page("Authorize %s" % app["name"], body)


def authorize(ctx):
    """GET /oauth/authorize. A browser signed in to GitLab sees the authorize page, unless it already holds a live token
    for the application (then the code comes at once); a stranger is sent to sign in first and comes back here.
    An API token (PRIVATE-TOKEN or Bearer) also signs in, and grants at once (the lab's shortcut for scripts)."""
    user = web.session_user(ctx)
    if user is None:
        token_user = signed_in_user(ctx)
        if token_user is None:
            return web.require_sign_in(ctx, ctx.path + ("?" + ctx.query if ctx.query else ""))
        pre_auth, answer = pre_authorization(ctx)
        return answer or grant_code(ctx, token_user, pre_auth)
    pre_auth, answer = pre_authorization(ctx)
    if answer:
        return answer
    if matching_token(ctx.state, pre_auth[0]["id"], user["id"], pre_auth[2]):
        return grant_code(ctx, user, pre_auth)
    return authorize_page(pre_auth[0], pre_auth)


def decide(ctx):
    """POST /oauth/authorize (Authorize) and DELETE /oauth/authorize, or POST with _method=delete (Deny)."""
    user = web.session_user(ctx)
    if user is None:
        return web.require_sign_in(ctx, "/")
    pre_auth, answer = pre_authorization(ctx)
    if answer:
        return answer
    if ctx.method == "DELETE" or str(ctx.params.get("_method") or "").lower() == "delete":
        return redirect(with_query(pre_auth[1], [("error", "access_denied"), ("error_description", OAUTH_ERRORS["access_denied"]), ("state", pre_auth[3])]))
    return grant_code(ctx, user, pre_auth)


def client_application(ctx):
    client_id, client_secret = ctx.params.get("client_id"), ctx.params.get("client_secret")
    authorization = ctx.header("Authorization") or ""
    if authorization.lower().startswith("basic "):
        try:
            client_id, _sep, client_secret = base64.b64decode(authorization[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise oauth_error(401, "invalid_client") from exc
    app = next((app for app in ctx.state.applications.values() if app["uid"] == client_id), None)
    if app is None:
        raise oauth_error(401, "invalid_client")
    if client_secret:
        if not secrets.compare_digest(digest(client_secret), app["secret_digest"]):
            raise oauth_error(401, "invalid_client")
    elif app["confidential"]:
        raise oauth_error(401, "invalid_client")
    return app


def reusable_token(state, app_id, user_id, scopes):
    """Doorkeeper's reuse_access_token, where the release enables it: the owner's live token with the same scopes
    comes back. Current GitLab leaves it off (config/initializers/doorkeeper.rb: `# reuse_access_token`)."""
    if not state.profile.has("reuse_access_token"):
        return None
    now = int(time.time())
    for access, record in state.access_tokens.items():
        if (record["app_id"], record["user_id"], record["state"]) != (app_id, user_id, "active") or sorted(record["scopes"]) != sorted(scopes):
            continue
        remaining = record["created_at"] + ACCESS_TOKEN_LIFETIME - now
        if remaining <= 0:
            continue
        refresh = next((key for key, item in state.refresh_tokens.items() if item["access_token"] == access and item["state"] == "active"), None)
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": remaining,
            "refresh_token": refresh,
            "scope": " ".join(record["scopes"]),
            "created_at": record["created_at"],
        }
        return 200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"}
    return None


def token(ctx):
    params, state = ctx.params, ctx.state
    grant_type = params.get("grant_type")
    if not grant_type:
        raise oauth_error(400, "invalid_request")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise oauth_error(400, "unsupported_grant_type")
    app = client_application(ctx)
    if grant_type == "authorization_code":
        code = params.get("code")
        if not code:
            raise oauth_error(400, "invalid_request")
        grant = state.grants.get(code)
        if (
            grant is None
            or grant.get("used")
            or grant["app_id"] != app["id"]
            or time.time() > grant["expires_at"]
            or grant["redirect_uri"] != params.get("redirect_uri")
        ):
            raise oauth_error(400, "invalid_grant")
        grant["used"] = True
        user_id, scopes = grant["user_id"], grant["scopes"]
        reused = reusable_token(state, app["id"], user_id, scopes)
        if reused:
            return reused
    else:
        old = state.refresh_tokens.get(params.get("refresh_token") or "")
        if old is None or old["app_id"] != app["id"] or old["state"] != "active":
            raise oauth_error(400, "invalid_grant")
        old["state"] = "revoked"
        state.access_tokens[old["access_token"]]["state"] = "revoked"
        user_id, scopes = old["user_id"], old["scopes"]
    access, refresh, now = secrets.token_hex(32), secrets.token_hex(32), int(time.time())
    state.access_tokens[access] = {"app_id": app["id"], "user_id": user_id, "scopes": scopes, "created_at": now, "state": "active"}
    state.refresh_tokens[refresh] = {"app_id": app["id"], "user_id": user_id, "scopes": scopes, "access_token": access, "state": "active"}
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "refresh_token": refresh,
        "scope": " ".join(scopes),
        "created_at": now,
    }
    return 200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"}


ROUTES = [
    ("GET", r"/oauth/authorize", authorize, None, None),
    ("POST", r"/oauth/token", token, None, None),
    ("POST", r"/oauth/authorize", decide, None, None),
    ("DELETE", r"/oauth/authorize", decide, None, None),
]

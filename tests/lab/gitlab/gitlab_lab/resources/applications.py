"""OAuth applications: /applications (lib/api/applications.rb, entities Application and ApplicationWithSecret)."""

import re
from urllib.parse import urlsplit

from ..params import ApiError, coerce_params, digest, not_found, param_error, path_id, validation_error

# Doorkeeper scopes GitLab configures (config/initializers/doorkeeper.rb and Gitlab::Auth).
OAUTH_SCOPES = (
    "api",
    "read_api",
    "read_user",
    "create_runner",
    "manage_runner",
    "k8s_proxy",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "read_observability",
    "write_observability",
    "ai_features",
    "sudo",
    "admin_mode",
    "openid",
    "profile",
    "email",
)
NATIVE_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
FORBIDDEN_SCHEMES = ("data", "vbscript", "javascript")


def app_json(ctx, app, secret=None):
    """Entities::Application, or ApplicationWithSecret (Application plus secret, exposed last) when a secret is given."""
    if ctx.profile.has("application_full_fields"):
        body = {"id": app["id"], "application_id": app["uid"], "application_name": app["name"], "callback_url": app["redirect_uri"]}
    else:
        # 10.5 to 11.4: Application exposes only uid as application_id and redirect_uri as callback_url.
        body = {"application_id": app["uid"], "callback_url": app["redirect_uri"]}
    if ctx.profile.has("application_confidential"):
        body["confidential"] = app["confidential"]
    if secret is not None:
        body["secret"] = secret
    return body


def redirect_uri_errors(redirect_uri, strict, native=True):
    """Doorkeeper's RedirectUriValidator: 4.x (GitLab 11) or the newer one (strict).

    native: the native redirect URI (urn:ietf:wg:oauth:2.0:oob) is taken as it is; GitLab 11 configures
    `native_redirect_uri nil`, so there it is checked like any other URI (no host: "must be an absolute URI.")."""
    uris = redirect_uri.split()
    if not uris:
        return ["can't be blank"]
    problems = []
    for uri in uris:
        if native and uri == NATIVE_REDIRECT_URI:
            continue
        try:
            if re.search(r'[<>"{}|\\^`\s]', uri) or not uri.isascii():
                raise ValueError(uri)
            parts = urlsplit(uri)
        except ValueError:
            return ["must be a valid URI."]
        opaque = bool(parts.scheme) and not uri[len(parts.scheme) + 1 :].startswith("/")
        if not strict:
            if parts.fragment:
                problems.append("cannot contain a fragment.")
            if not parts.scheme or not parts.hostname:
                problems.append("must be an absolute URI.")
            continue
        if parts.scheme.lower() in FORBIDDEN_SCHEMES:
            problems.append("is forbidden by the server.")
        if parts.fragment:
            problems.append("cannot contain a fragment.")
        if opaque or parts.scheme.lower() == "localhost":
            problems.append("must specify a scheme.")
        if not parts.scheme and not parts.netloc:
            problems.append("must be an absolute URI.")
        if parts.scheme.lower() in ("http", "https") and not parts.hostname:
            problems.append("must be a valid URI.")
    return problems


def create_application(ctx):
    profile, params = ctx.profile, ctx.params
    values, errors = coerce_params(params, profile.application_parameters(), profile.has("grape_empty_is_nil"))
    not_blank = profile.has("application_scopes_not_blank")
    for name in ("name", "redirect_uri", "scopes"):
        if params.get(name) is None:
            errors.append("%s is missing" % name)
            if name == "scopes" and not_blank:
                errors.append("scopes is empty")
        elif name == "scopes" and not_blank and not str(values.get("scopes", "x")).strip():
            errors.append("scopes is empty")
    if errors:
        raise param_error(", ".join(errors))
    if not values["name"].strip():
        raise validation_error("name", "can't be blank")
    problems = redirect_uri_errors(values["redirect_uri"], profile.has("redirect_uri_strict"), profile.has("native_redirect_uri"))
    if problems:
        raise ApiError(400, {"message": {"redirect_uri": problems}})
    scopes = values["scopes"].split()
    if profile.has("application_scopes_checked") and any(scope not in OAUTH_SCOPES for scope in scopes):
        raise validation_error("scopes", "doesn't match configured on the server.")
    confidential = values.get("confidential")
    app, secret = ctx.state.add_application(values["name"], values["redirect_uri"], scopes, True if confidential is None else confidential)
    return 201, app_json(ctx, app, secret)


def list_applications(ctx):
    # Not paginated: every instance-wide application in one answer, never a secret.
    return 200, [app_json(ctx, app) for app in ctx.state.applications.values()]


def find_application(ctx):
    app = ctx.state.applications.get(path_id(ctx))
    if app is None:
        raise not_found("Application")
    return app


def delete_application(ctx):
    if path_id(ctx) not in ctx.state.applications and not ctx.profile.has("applications_delete_404"):
        # 11.5 to early 13.x: ApplicationsFinder returns nil for an unknown id, and nil.destroy is a 500.
        raise ApiError(500, {"message": "500 Internal Server Error"})
    app = find_application(ctx)
    ctx.state.remove_application(app["id"])
    return 204, None


def renew_secret(ctx):
    app = find_application(ctx)
    secret = ctx.state.new_app_secret()
    app["secret_digest"] = digest(secret)
    return 201, app_json(ctx, app, secret)


ROUTES = [
    ("POST", r"/api/v4/applications", create_application, "admin", "applications_create"),
    ("GET", r"/api/v4/applications", list_applications, "admin", "applications_list"),
    ("DELETE", r"/api/v4/applications/(?P<id>[^/]+)", delete_application, "admin", "applications_delete"),
    ("POST", r"/api/v4/applications/(?P<id>[^/]+)/renew-secret", renew_secret, "admin", "renew_secret"),
]

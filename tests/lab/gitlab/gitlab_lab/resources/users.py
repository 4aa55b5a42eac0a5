"""Users: GET /user, /users (lib/api/users.rb); creating and deleting one sends user_create / user_destroy to every system hook."""

import hashlib
import re

from .. import deliveries
from ..params import ApiError, coerce_params, iso_ms, not_found, paginate, param_error, path_id, validation_error, xmlschema


def user_json(ctx, user, with_admin):
    gravatar = hashlib.md5(user["email"].encode(), usedforsecurity=False).hexdigest()
    body = {
        "id": user["id"],
        "username": user["username"],
        "name": user["name"],
        "state": user["state"],
        "avatar_url": "https://www.gravatar.com/avatar/%s?s=80&d=identicon" % gravatar,
        "web_url": "%s/%s" % (ctx.base_url, user["username"]),
        "created_at": iso_ms(user["created_at"]),
        "bio": "",
        "location": "",
        "public_email": "",
        "skype": "",
        "linkedin": "",
        "twitter": "",
        "website_url": "",
        "organization": "",
        "last_sign_in_at": None,
        "confirmed_at": iso_ms(user["created_at"]),
        "last_activity_on": None,
        "email": user["email"],
        "theme_id": 1,
        "color_scheme_id": 1,
        "projects_limit": 100000,
        "current_sign_in_at": None,
        "identities": [],
        "can_create_group": True,
        "can_create_project": True,
        "two_factor_enabled": False,
        "external": False,
        "private_profile": False,
    }
    if ctx.profile.user_has_locked_field():
        body["locked"] = False
        body["job_title"] = ""
    if with_admin:
        body["is_admin"] = user["is_admin"]
    return body


def user_event(event_name, user):
    """The user_create / user_destroy system hook payload (SystemHooksService)."""
    return {
        "created_at": xmlschema(user["created_at"]),
        "updated_at": xmlschema(user["updated_at"]),
        "email": user["email"],
        "event_name": event_name,
        "name": user["name"],
        "username": user["username"],
        "user_id": user["id"],
    }


def get_current_user(ctx):
    return 200, user_json(ctx, ctx.user, ctx.user["is_admin"])


def list_users(ctx):
    users = list(ctx.state.users.values())
    for key in ("username", "search"):
        wanted = ctx.params.get(key)
        if wanted:
            users = [user for user in users if str(wanted).lower() in (user["username"].lower(), user["email"].lower())]
    chunk, headers = paginate(ctx, users)
    return 200, [user_json(ctx, user, True) for user in chunk], headers


def get_user(ctx):
    user = ctx.state.users.get(path_id(ctx))
    if user is None:
        raise not_found("User")
    return 200, user_json(ctx, user, ctx.user["is_admin"])


def create_user(ctx):
    declared = {"email": str, "username": str, "name": str, "password": str, "reset_password": bool, "force_random_password": bool}
    values, errors = coerce_params(ctx.params, declared)
    for name in ("email", "name", "username"):
        if ctx.params.get(name) is None:
            errors.append("%s is missing" % name)
    given = [name for name in ("password", "reset_password", "force_random_password") if values.get(name)]
    if len(given) != 1:
        errors.append("password, reset_password, force_random_password are missing, exactly one parameter must be provided")
    if errors:
        raise param_error(", ".join(errors))
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", values["email"]):
        raise validation_error("email", "is invalid")
    if "password" in given and len(values["password"]) < 8:
        raise validation_error("password", "is too short (minimum is 8 characters)")
    for user in ctx.state.users.values():
        if user["email"].lower() == values["email"].lower():
            raise ApiError(409, {"message": "Email has already been taken"})
        if user["username"].lower() == values["username"].lower():
            raise ApiError(409, {"message": "Username has already been taken"})
    user = ctx.state.add_user(values["username"], values["name"], values["email"], values.get("password"))
    ctx.deliveries = deliveries.prepare(ctx.profile, list(ctx.state.hooks.values()), user_event("user_create", user), ctx.base_url)
    return 201, user_json(ctx, user, True)


def delete_user(ctx):
    user = ctx.state.users.get(path_id(ctx))
    if user is None:
        raise not_found("User")
    del ctx.state.users[user["id"]]
    ctx.deliveries = deliveries.prepare(ctx.profile, list(ctx.state.hooks.values()), user_event("user_destroy", user), ctx.base_url)
    return 204, None


ROUTES = [
    ("GET", r"/api/v4/user", get_current_user, "user", None),
    ("GET", r"/api/v4/users", list_users, "admin", None),
    ("POST", r"/api/v4/users", create_user, "admin", None),
    ("GET", r"/api/v4/users/(?P<id>[^/]+)", get_user, "user", None),
    ("DELETE", r"/api/v4/users/(?P<id>[^/]+)", delete_user, "admin", None),
]

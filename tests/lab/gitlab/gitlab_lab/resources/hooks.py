"""System hooks: /hooks (lib/api/system_hooks.rb, lib/api/helpers/web_hooks_helpers.rb, entity Hook)."""

import time

from .. import deliveries
from ..params import (
    ApiError,
    check_unmodified_since,
    coerce_params,
    is_http_url,
    iso_ms,
    not_found,
    paginate,
    param_error,
    path_id,
    record_not_found,
    validation_error,
)

HOOK_FLAGS = ("push_events", "tag_push_events", "merge_requests_events", "repository_update_events", "enable_ssl_verification")
BRANCH_FILTER_STRATEGIES = ("wildcard", "regex", "all_branches")


def hook_json(ctx, hook):
    """Entities::Hook; the token is never returned."""
    details = ctx.profile.has("hook_details")
    body = {"id": hook["id"], "url": hook["url"]}
    if details:
        body["name"] = hook["name"]
        body["description"] = hook["description"]
    body["created_at"] = iso_ms(hook["created_at"])
    for flag in HOOK_FLAGS:
        body[flag] = hook[flag]
    if details:
        body["alert_status"] = "executable"
        body["disabled_until"] = None
        body["url_variables"] = [{"key": item["key"]} for item in hook["url_variables"]]
        body["push_events_branch_filter"] = hook["push_events_branch_filter"]
        body["branch_filter_strategy"] = hook["branch_filter_strategy"]
        body["custom_headers"] = [{"key": item["key"]} for item in hook["custom_headers"]]
    return body


def checked_values(ctx):
    """Declared, coerced and validated hook parameters (undeclared ones are dropped, as Grape does)."""
    profile = ctx.profile
    values, errors = coerce_params(ctx.params, profile.hook_parameters())
    strategy = values.get("branch_filter_strategy")
    if strategy is not None and strategy not in BRANCH_FILTER_STRATEGIES:
        errors.append("branch_filter_strategy does not have a valid value")
    for key in ("url_variables", "custom_headers"):
        if key in values and not all(isinstance(item, dict) and item.get("key") and "value" in item for item in values[key]):
            errors.append("%s[key] is missing" % key)
    if errors:
        raise param_error(", ".join(errors))
    status = profile.hook_validation_status()
    if "url" in values and not is_http_url(values["url"] or ""):
        if status == 422:
            raise ApiError(422, {"message": "Invalid url given"})
        # UrlValidator / Gitlab::UrlBlocker message, through render_validation_error!
        raise validation_error("url", "is blocked: Only allowed protocols are http, https")
    if "\n" in (values.get("token") or ""):
        # WebHook: validates :token, format: { without: /\n/ }
        if status == 400:
            raise validation_error("token", "is invalid")
        if ctx.method == "POST":
            raise ApiError(422, {"message": "Token is invalid"})  # WebHooks::CreateService: full messages
        raise validation_error("token", "is invalid", 422)  # save_hook: render_validation_error!(hook, 422)
    return values


def find_hook(ctx, thing=None):
    """SystemHook.find (RecordNotFound: "404 Not found"), or find_by plus not_found!(thing)."""
    hook = ctx.state.hooks.get(path_id(ctx, "hook_id" if ctx.profile.has("hooks_put") else "id"))
    if hook is None:
        raise not_found(thing) if thing else record_not_found()
    return hook


def list_hooks(ctx):
    if not ctx.profile.has("hooks_paginated"):
        # 8.17: every hook in one answer, without pagination headers.
        return 200, [hook_json(ctx, hook) for hook in ctx.state.hooks.values()]
    chunk, headers = paginate(ctx, list(ctx.state.hooks.values()))
    return 200, [hook_json(ctx, hook) for hook in chunk], headers


def create_hook(ctx):
    if ctx.params.get("url") is None:
        raise param_error("url is missing")
    return 201, hook_json(ctx, ctx.state.add_hook(checked_values(ctx)))


def get_hook(ctx):
    hook = find_hook(ctx)
    if ctx.profile.has("hooks_get_returns_hook"):
        return 200, hook_json(ctx, hook)
    # Before 14.9, GET /hooks/:id was "Test a hook": it fires a project_create event and answers with its data.
    ctx.deliveries = deliveries.prepare(ctx.profile, [hook], deliveries.HOOK_TEST_DATA, ctx.base_url)
    return 200, dict(deliveries.HOOK_TEST_DATA)


def test_hook(ctx):
    hook = find_hook(ctx)
    ctx.deliveries = deliveries.prepare(ctx.profile, [hook], deliveries.HOOK_TEST_DATA, ctx.base_url)
    return 201, dict(deliveries.HOOK_TEST_DATA)


def update_hook(ctx):
    hook = find_hook(ctx)
    values = checked_values(ctx)
    if not values:
        raise ApiError(400, {"message": "No parameters provided"})
    values["updated_at"] = time.time()
    hook.update(values)
    return 200, hook_json(ctx, hook)


def delete_hook(ctx):
    # Up to 14.x: find_by + not_found!('System hook'); from 14.9 on: find_hook (RecordNotFound).
    hook = find_hook(ctx, None if ctx.profile.has("hooks_get_returns_hook") else "System hook")
    check_unmodified_since(ctx, hook["updated_at"])
    del ctx.state.hooks[hook["id"]]
    return 204, None


ROUTES = [
    ("GET", r"/api/v4/hooks", list_hooks, "admin", None),
    ("POST", r"/api/v4/hooks", create_hook, "admin", None),
    ("GET", r"/api/v4/hooks/(?P<id>[^/]+)", get_hook, "admin", None),
    ("POST", r"/api/v4/hooks/(?P<id>[^/]+)", test_hook, "admin", "hooks_test_post"),
    ("PUT", r"/api/v4/hooks/(?P<id>[^/]+)", update_hook, "admin", "hooks_put"),
    ("DELETE", r"/api/v4/hooks/(?P<id>[^/]+)", delete_hook, "admin", None),
]

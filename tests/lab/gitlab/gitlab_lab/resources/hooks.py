"""System hooks: /hooks (lib/api/system_hooks.rb, lib/api/helpers/web_hooks_helpers.rb, entity Hook)."""

import re
import time
from urllib.parse import urlsplit

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
# WebHooks::Hook::VARIABLE_REFERENCE_RE
VARIABLE_REFERENCE = re.compile(r"\{([A-Za-z]+[0-9]*(?:[._-][A-Za-z0-9]+)*)\}")
# A host name or an IPv4/IPv6 address: what Addressable::URI and the URL validators take as a host.
HOST_PATTERN = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?|[0-9a-fA-F:.]+")


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


def checked_values(ctx, hook=None):
    """Declared, coerced and validated hook parameters (undeclared ones are dropped, as Grape does).

    hook: the hook a PUT changes (its url_variables and custom_headers are merged with the new ones)."""
    profile = ctx.profile
    values, errors = coerce_params(ctx.params, profile.hook_parameters(), profile.has("grape_empty_is_nil"))
    strategy = values.get("branch_filter_strategy")
    if strategy is not None and strategy not in BRANCH_FILTER_STRATEGIES:
        errors.append("branch_filter_strategy does not have a valid value")
    for key in ("url_variables", "custom_headers"):
        if key in values and not all(isinstance(item, dict) and item.get("key") and "value" in item for item in values[key]):
            errors.append("%s[key] is missing" % key)
    if errors:
        raise param_error(", ".join(errors))
    for key in ("url_variables", "custom_headers"):
        # create_hook_params / update_hook_params: an empty list is no value; a PUT merges into what the hook has.
        if key in values:
            given = [{"key": item["key"], "value": item["value"]} for item in values.pop(key)]
            if given:
                values[key] = merged_pairs(hook[key], given) if hook else merged_pairs([], given)
    status = profile.hook_validation_status()
    url = values.get("url", hook["url"] if hook else None)
    variables = values.get("url_variables", hook["url_variables"] if hook else [])
    if ("url" in values or "url_variables" in values) and url_problem(url or "", variables if profile.has("hook_details") else None):
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
    if profile.has("hook_details"):
        check_branch_filter(values, hook)
    return values


def merged_pairs(current, given):
    """Hash#merge of key/value pairs: a given key replaces the current value, new keys are added."""
    merged = {item["key"]: item["value"] for item in current}
    merged.update((item["key"], item["value"]) for item in given)
    return [{"key": key, "value": value} for key, value in merged.items()]


def url_problem(url, variables=None):
    """True when GitLab refuses the hook URL: not http(s), no valid host or port, or (with URL variables) a {name}
    the hook has no variable for (WebHooks::Hook#no_missing_url_variables; the interpolated URL is the one checked)."""
    if variables is not None:
        names = {item["key"]: item["value"] for item in variables}
        used = VARIABLE_REFERENCE.findall(url)
        if any(name not in names for name in used):
            return True
        url = VARIABLE_REFERENCE.sub(lambda match: names[match.group(1)], url)
    if not is_http_url(url):
        return True
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return True
    return not HOST_PATTERN.fullmatch(parts.hostname or "")


def check_branch_filter(values, hook):
    """WebHooks::Hook branch filter validations, reported as 422 "Invalid branch filter given" (save_hook,
    WebHooks::CreateService): wildcard filters must be valid branch names once * is taken as a letter, regex filters
    valid regular expressions; all_branches clears the filter (set_branch_filter_nil)."""
    strategy = values.get("branch_filter_strategy") or (hook["branch_filter_strategy"] if hook else "wildcard")
    if strategy == "all_branches":
        values["push_events_branch_filter"] = None
        return
    branch_filter = values.get("push_events_branch_filter", hook["push_events_branch_filter"] if hook else None)
    if branch_filter is None or not ("push_events_branch_filter" in values or "branch_filter_strategy" in values):
        return
    if strategy == "regex":
        try:
            re.compile(branch_filter)
        except re.error as exc:
            raise ApiError(422, {"message": "Invalid branch filter given"}) from exc
        return
    squished = " ".join(branch_filter.split())
    if squished and (not valid_branch_name(squished.replace("*", "x")) or len(squished) > 4000):
        raise ApiError(422, {"message": "Invalid branch filter given"})
    if "push_events_branch_filter" in values:
        values["push_events_branch_filter"] = squished


def valid_branch_name(name):
    """Gitlab::GitRefValidator.validate: git check-ref-format --branch rules."""
    if name.startswith("-") or name in ("@", "HEAD") or name.startswith("refs/"):
        return False
    if any(ord(char) < 32 or ord(char) == 127 or char in " ~^:?*[\\" for char in name):
        return False
    if ".." in name or "@{" in name or "//" in name or name.startswith("/") or name.endswith(("/", ".", ".lock")):
        return False
    return not any(part.startswith(".") or part.endswith(".lock") for part in name.split("/"))


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
    values = checked_values(ctx, hook)
    # update_hook_params: empty url_variables / custom_headers do not count as parameters.
    if not values:
        raise ApiError(400, {"message": "No parameters provided"})
    # WebHooks::Hook#reset_token: a new URL without a new token drops the token.
    if "url" in values and values["url"] != hook["url"] and "token" not in values:
        values["token"] = None
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

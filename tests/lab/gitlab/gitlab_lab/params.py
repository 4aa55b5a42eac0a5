"""Grape-like parameter handling, GitLab's error shapes, pagination and conditional requests."""

import hashlib
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

from .profiles import COUNT_LIMIT

TRUE_STRINGS = {"true", "t", "1", "yes", "y", "on"}
FALSE_STRINGS = {"false", "f", "0", "no", "n", "off"}


class ApiError(Exception):
    """An HTTP error answer: status, body (JSON or text) and extra headers."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def param_error(message):
    """Grape's parameter errors: 400 {"error": "<param> is missing"}."""
    return ApiError(400, {"error": message})


def validation_error(attr, message, status=400):
    """render_validation_error!: {"message": {"<attr>": ["..."]}}."""
    return ApiError(status, {"message": {attr: [message]}})


def not_found(thing=None):
    """not_found!(thing) is {"message": "404 <Thing> Not Found"}; an unknown route is Grape's {"error": "404 Not Found"}."""
    if thing:
        return ApiError(404, {"message": "404 %s Not Found" % thing})
    return ApiError(404, {"error": "404 Not Found"})


def record_not_found():
    """ActiveRecord::RecordNotFound rescued in lib/api/api.rb."""
    return ApiError(404, {"message": "404 Not found"})


def iso_ms(stamp):
    moment = datetime.fromtimestamp(stamp, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def xmlschema(stamp):
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def coerce(value, kind, empty_is_nil=False):
    """Grape-style coercion of one parameter; raises ValueError when invalid.

    empty_is_nil: Grape 1.3 and later take an empty string for any type but String as no value (nil):
    lib/grape/validations/types/primitive_coercer.rb, treat_as_nil?.
    """
    if value is None or (empty_is_nil and value == "" and kind is not str):
        return None
    if kind is bool:
        return _coerce_bool(value)
    if kind is int:
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise ValueError(value)
    if kind is float:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    if kind is str:
        if isinstance(value, (dict, list)):
            raise ValueError(value)
        return str(value).lower() if isinstance(value, bool) else str(value)
    if kind is list:
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            return [item for item in value.split(",") if item]
    raise ValueError(value)


def _coerce_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in TRUE_STRINGS | FALSE_STRINGS:
        return value.lower() in TRUE_STRINGS
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError(value)


def coerce_params(params, declared, empty_is_nil=False):
    """Coerce the declared params present in `params`; drop the rest (declared_params). Returns (values, errors)."""
    values, errors = {}, []
    for name, kind in declared.items():
        if name not in params:
            continue
        try:
            values[name] = coerce(params[name], kind, empty_is_nil)
        except (ValueError, TypeError):
            errors.append("%s is invalid" % name)
    return values, errors


def form_pairs(text):
    """Rack's parse_nested_query pairs: a key without "=" has no value (nil); "key=" is an empty string."""
    pairs = []
    for part in re.split(r"[&;]", text or ""):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = unquote_plus(key)
        pairs.append((key, unquote_plus(value) if sep else None))
    return pairs


def add_param(params, key, value):
    if key.endswith("[]"):
        params.setdefault(key[:-2], []).append(value)
    else:
        params[key] = value


def is_http_url(value):
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_unmodified_since(ctx, last_modified):
    """check_unmodified_since! (lib/api/helpers.rb): 412 when the object changed after If-Unmodified-Since.

    Ruby's Time.parse is lenient; unparsable values are ignored, as there.
    """
    since = parse_time(ctx.header("If-Unmodified-Since"))
    if since is not None and int(last_modified) > since:
        raise ApiError(412, {"message": "412 Precondition Failed"})


def parse_time(text):
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        pass
    for form in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text.replace("Z", "+0000"), form).timestamp()
        except ValueError:
            continue
    return None


def paginate(ctx, items):
    """Offset pagination as lib/api/helpers/pagination.rb does it: the slice and its headers."""
    numbers = {}
    for name, default in (("page", 1), ("per_page", 20)):
        try:
            numbers[name] = coerce(ctx.params.get(name, default), int)
        except (ValueError, TypeError) as exc:
            raise param_error("%s is invalid" % name) from exc
    page, per_page = numbers["page"], numbers["per_page"]
    page = max(page or 1, 1)
    per_page = 20 if not per_page or per_page < 1 else min(per_page, 100)
    total = len(items)
    total_pages = max((total + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    # Kaminari's next_page and prev_page are nil past the last page (out_of_range?).
    out_of_range = page > total_pages
    next_page = page + 1 if page < total_pages else None
    prev_page = page - 1 if page > 1 and not out_of_range else None
    others = [(key, value) for key, value in parse_qsl(ctx.query, keep_blank_values=True) if key not in ("page", "per_page")]

    def link(number):
        return "%s%s?%s" % (ctx.base_url, ctx.path, urlencode(others + [("page", number), ("per_page", per_page)]))

    # Gitlab::Pagination::OffsetHeaderBuilder#pagination_links: prev, next, first, last.
    links = []
    if prev_page:
        links.append('<%s>; rel="prev"' % link(prev_page))
    if next_page:
        links.append('<%s>; rel="next"' % link(next_page))
    links.append('<%s>; rel="first"' % link(1))
    headers = {"X-Next-Page": str(next_page or ""), "X-Page": str(page), "X-Per-Page": str(per_page), "X-Prev-Page": str(prev_page or "")}
    # Gitlab::Pagination::OffsetPagination: past Kaminari's MAX_COUNT_LIMIT the count is skipped (limited headers).
    counted = not (ctx.profile.has("pagination_count_limit") and total > COUNT_LIMIT)
    if ctx.profile.has("pagination_totals") and counted:
        links.append('<%s>; rel="last"' % link(total_pages))
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(total_pages)
    headers["Link"] = ", ".join(links)
    return chunk, headers


def path_id(ctx, name="id"):
    value = ctx.match.group("id")
    if not re.fullmatch(r"\d+", value):
        raise param_error("%s is invalid" % name)
    return int(value)

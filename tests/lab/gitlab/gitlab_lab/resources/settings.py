"""GET and PUT /application/settings (lib/api/settings.rb)."""

import time

from ..params import coerce_params, iso_ms, param_error, validation_error
from ..profiles import ENABLED_URL_PAIRS, SETTING_VALUES


def get_settings(ctx):
    return 200, ctx.state.settings


def put_settings(ctx):
    state = ctx.state
    declared = state.settings_types
    values, errors = coerce_params(ctx.params, declared, ctx.profile.has("grape_empty_is_nil"))
    for name, allowed in SETTING_VALUES.items():
        if values.get(name) is not None and values[name] not in allowed:
            errors.append("%s does not have a valid value" % name)
    # given <x>_enabled: ->(val) { val } do requires <x>_url
    for enabled, url in ENABLED_URL_PAIRS:
        if values.get(enabled) and url in declared and url not in values:
            errors.append("%s is missing" % url)
    # at_least_one_of(*optional_attributes): undeclared parameters do not count.
    if not values and not errors:
        errors.append("%s are missing, at least one parameter must be provided" % ", ".join(declared))
    if errors:
        raise param_error(", ".join(errors))
    merged = dict(state.settings, **values)
    # ApplicationSetting: validates :<x>_url, presence: true, if: :<x>_enabled
    for enabled, url in ENABLED_URL_PAIRS:
        if merged.get(enabled) and url in declared and not (merged.get(url) or "").strip():
            raise validation_error(url, "can't be blank")
    merged["updated_at"] = iso_ms(time.time())
    state.settings = merged
    return 200, merged


ROUTES = [
    ("GET", r"/api/v4/application/settings", get_settings, "admin", None),
    ("PUT", r"/api/v4/application/settings", put_settings, "admin", None),
]

"""The lab and the release table agree on every profile, and the modules, run in process against the lab, do right on
each: the module life cycle on every profile the modules support, and the release-specific cases on the profile that
shows each."""

import contextlib
import json
import os
import re
import sys
import threading
from unittest import mock

import pytest

from .gitlab_lab import profiles
from .gitlab_lab.tokens import ADMIN_TOKEN

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir))
releases = profiles.releases


# ---- the table and the lab ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(profiles.PROFILES))
def test_each_profile_plays_what_the_release_table_says(name):
    profile = profiles.Profile(name)
    release = profiles.version_tuple(profile.version)[:2]
    assumed = profiles.PROFILES[name].get("assume", {})
    for feature, capability in profiles.RELEASE_FEATURES.items():
        state = releases.state(capability, release)
        if state is None:
            assert feature in assumed, "%s: the table leaves %s open for %s" % (name, capability, profile.version)
        else:
            assert feature not in assumed, "%s: %s is pinned for %s; the profile must not assume it" % (name, capability, profile.version)
            assert profile.has(feature) is state, (name, feature)


def test_profiles_cover_the_releases_that_matter():
    versions = {profiles.Profile(name).version.rsplit(".", 1)[0] for name in profiles.PROFILES}
    assert {"8.16", "8.17", "10.4", "11.4", "11.0", "11.11", "12.10", "13.12", "14.10", "15.11", "16.11", "17.5", "18.11"} <= versions
    assert set(profiles.INTEGRATION_PROFILES) <= set(profiles.PROFILES)


def test_the_lab_tells_each_profiles_capabilities_as_the_table_has_them():
    """GET /__lab__/info's capability map (what the integration targets read) is the table's, as the profile plays it."""
    for name in profiles.PROFILES:
        profile = profiles.Profile(name)
        capabilities = profile.describe()["capabilities"]
        assert set(capabilities) == set(releases.CAPABILITIES), name
        for feature, capability in profiles.RELEASE_FEATURES.items():
            assert capabilities[capability]["has"] is profile.has(feature), (name, capability)
        assert capabilities["renew_secret"]["since"] == releases.since("renew_secret")
        assert capabilities["koding_settings"]["last"] == releases.last("koding_settings")


def test_the_integration_run_covers_every_supported_profile():
    """tests/integration/run.sh: the module targets on every profile with API v4, oldest first; the classic ones on
    compat; the wiring role where its behaviour changes, which is where the applications API does."""
    with open(os.path.join(ROOT, "tests", "integration", "run.sh"), encoding="utf-8") as handle:
        text = handle.read()

    def listed(name):
        return re.search(r"^%s=\(([^)]*)\)" % name, text, re.M).group(1).split()

    assert listed("supported_profiles") == supported_profiles()
    assert tuple(listed("classic_profiles")) == profiles.INTEGRATION_PROFILES
    assert set(listed("compat_profiles")) <= set(profiles.INTEGRATION_PROFILES)
    wiring = listed("slow_profiles")
    assert set(wiring) <= set(supported_profiles())
    assert {applications_shape(name) for name in wiring} == {applications_shape(name) for name in supported_profiles()}


def applications_shape(name):
    """What the applications API lets the wiring role do on a profile: create, list and delete, renew."""
    profile = profiles.Profile(name)
    return profile.has("applications_create"), profile.has("applications_list"), profile.has("renew_secret")


def supported_profiles():
    """Every profile the modules support (API v4), oldest first."""
    names = [name for name in profiles.PROFILES if profiles.Profile(name).has("api_v4")]
    return sorted(names, key=lambda name: profiles.version_tuple(profiles.PROFILES[name]["version"]))


def test_every_capability_names_its_evidence_and_a_sane_span():
    for name, capability in releases.CAPABILITIES.items():
        assert capability.evidence and capability.what, name
        assert capability.first <= capability.first_by, name
        if capability.last is not None:
            assert capability.last_by <= capability.last and capability.first <= capability.last_by, name


def test_docs_release_table_matches_the_capability_table():
    """docs/gitlab-wiring.md, section "GitLab releases": one row per capability, its releases as the table has them."""
    with open(os.path.join(ROOT, "docs", "gitlab-wiring.md"), encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## GitLab releases", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1]
    assert set(rows) == set(releases.CAPABILITIES)
    for name, cell in rows.items():
        assert cell == docs_releases(releases.CAPABILITIES[name]), name


def docs_releases(capability):
    """How docs/gitlab-wiring.md writes a capability's releases: 'from 11.5', 'from 8.13 to 11.4', '14.0–14.1 (not pinned)'."""
    text = "from " + span(capability.first, capability.first_by)
    if capability.last is not None:
        text += " to " + span(capability.last_by, capability.last)
    return text


def span(low, high):
    if low == high:
        return releases.release_text(low)
    return "%s–%s (not pinned)" % (releases.release_text(low), releases.release_text(high))


# ---- the modules in process against the lab ----------------------------------------------------------
@pytest.fixture(scope="session")
def collection_path(tmp_path_factory):
    """ansible_collections/koding/gitlab pointing at the collection root, on sys.path."""
    top = tmp_path_factory.mktemp("collections")
    os.makedirs(os.path.join(str(top), "ansible_collections", "koding"))
    os.symlink(ROOT, os.path.join(str(top), "ansible_collections", "koding", "gitlab"))
    sys.path.insert(0, str(top))
    pytest.importorskip("ansible")
    yield
    sys.path.remove(str(top))


class Exit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


def run(lab, module_name, args, expect_fail=False):
    """Run a koding.gitlab module's main() with args against the lab; the result, with its warnings."""
    import importlib  # pylint: disable=import-outside-toplevel

    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

    try:
        from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core < 2.19

        @contextlib.contextmanager
        def patch_module_args(module_args=None):
            with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": module_args or {}}).encode()):
                yield

    module = importlib.import_module("ansible_collections.koding.gitlab.plugins.modules.%s" % module_name)
    warnings = []

    def exit_json(self, **kwargs):  # pylint: disable=unused-argument
        raise Exit(kwargs, False)

    def fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
        raise Exit(dict(kwargs, msg=msg), True)

    args = dict(args, api_url=lab.url, api_token=ADMIN_TOKEN, max_retries=0)
    with contextlib.ExitStack() as stack:
        stack.enter_context(patch_module_args(args))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "exit_json", exit_json))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "fail_json", fail_json))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "warn", lambda self, warning: warnings.append(warning)))
        with pytest.raises(Exit) as caught:
            module.main()
    result = dict(caught.value.result, warnings=warnings)
    assert caught.value.failed == expect_fail, result
    return result


@pytest.fixture(scope="session")
def release_labs(lab_factory):
    started = {}

    def get(name):
        if name not in started:
            started[name] = lab_factory(name)
        started[name].reset()
        return started[name]

    return get


HOOK = dict(url="http://127.0.0.1:9/koding-hook", token="hook-token-31415926", push_events=False, tag_push_events=False, merge_requests_events=False)
APP = dict(name="Koding", redirect_uri="http://koding.test:8090/-/oauth/gitlab/callback", scopes=["api"])
ENABLE = dict(koding_enabled=True, koding_url="http://gitlab.koding.test:8090")


def writes(lab):
    return [entry for entry in lab.requests_log() if entry["method"] != "GET"]


def test_8_16_serves_only_api_v3_and_every_module_says_so(collection_path, release_labs):
    lab = release_labs("8.16")
    assert lab.api("GET", "/version").status_code == 404 and lab.api("GET", "/version").content == b""
    assert lab.api("PUT", "/application/settings", data={"koding_enabled": "false"}).json() == {"status": "404", "error": "Not Found"}
    before = len(writes(lab))
    for module_name, args in (("gitlab_koding_settings", ENABLE), ("gitlab_oauth_app", APP), ("gitlab_system_hook", HOOK)):
        result = run(lab, module_name, args, expect_fail=True)
        assert "8.16.9" in result["msg"] and "8.17" in result["msg"] and "API v3" in result["msg"], module_name
    assert len(writes(lab)) == before


def test_8_17_koding_settings_hooks_with_405_and_no_applications(collection_path, release_labs):
    lab = release_labs("8.17")
    assert lab.api("PUT", "/hooks/1", data={"push_events": "true"}).status_code == 405
    assert run(lab, "gitlab_koding_settings", ENABLE)["changed"]
    assert not run(lab, "gitlab_koding_settings", ENABLE)["changed"]
    assert run(lab, "gitlab_system_hook", HOOK)["changed"]
    assert not run(lab, "gitlab_system_hook", HOOK)["changed"]
    result = run(lab, "gitlab_system_hook", dict(HOOK, push_events=True))
    assert result["changed"] and result["hook"]["push_events"] is True
    assert [entry["method"] for entry in writes(lab)][-3:] == ["PUT", "DELETE", "POST"]
    result = run(lab, "gitlab_oauth_app", APP, expect_fail=True)
    assert result["unsupported"] and result["create_supported"] is False and "Admin Area" in result["msg"]


@pytest.mark.parametrize("name", ["10.4", "12.10"])
def test_repository_update_events_off_is_not_fought_where_post_ignores_it(collection_path, release_labs, name):
    lab = release_labs(name)
    args = dict(HOOK, repository_update_events=False)
    first = run(lab, "gitlab_system_hook", args)
    assert first["changed"] and first["hook"]["repository_update_events"] is True
    assert any("repository_update_events" in warning for warning in first["warnings"])
    for dummy in range(2):
        again = run(lab, "gitlab_system_hook", args)
        assert not again["changed"] and again["warnings"] == [] and again["hook"]["id"] == first["hook"]["id"]


def test_10_4_has_no_applications_api(collection_path, release_labs):
    lab = release_labs("10.4")
    result = run(lab, "gitlab_oauth_app", APP, expect_fail=True)
    assert result["unsupported"] and result["create_supported"] is False and "10.5" in result["msg"]


def test_11_4_koding_settings_and_create_only_applications(collection_path, release_labs):
    lab = release_labs("11.4")
    assert run(lab, "gitlab_koding_settings", ENABLE)["changed"]
    created = run(lab, "gitlab_oauth_app", APP)
    assert created["changed"] and created["listing_supported"] is False and created["secret"]
    kept = run(lab, "gitlab_oauth_app", dict(APP, application_id=created["application"]["application_id"]))
    assert not kept["changed"]


def test_12_10_a_delete_racing_another_counts_as_done(collection_path, release_labs):
    """12.10 answers 500 to DELETE /applications/:id of an application that is gone."""
    lab = release_labs("12.10")
    app = run(lab, "gitlab_oauth_app", APP)["application"]
    assert lab.api("DELETE", "/applications/999").status_code == 500
    # The module's DELETE waits; meanwhile another run deletes the application.
    lab.control("POST", "latency", {"delay_ms": 1500, "when": "before", "method": "DELETE", "path_prefix": "/api/v4/applications", "count": 1})
    racer = threading.Thread(target=lambda: lab.api("DELETE", "/applications/%d" % app["id"]))
    timer = threading.Timer(0.5, racer.start)
    timer.start()
    result = run(lab, "gitlab_oauth_app", dict(name="Koding", state="absent"))
    timer.join()
    racer.join()
    assert not result["changed"] and result["application"] == {}
    statuses = [entry["status"] for entry in lab.requests_log() if entry["method"] == "DELETE" and re.search(r"/applications/\d+$", entry["path"])]
    assert 500 in statuses and 204 in statuses


# ---- the module life cycle on every supported profile ---------------------------------------------------
@pytest.mark.parametrize("name", supported_profiles())
def test_settings_module_on_every_profile(collection_path, release_labs, name):
    lab = release_labs(name)
    read = run(lab, "gitlab_koding_settings", {})
    assert not read["changed"] and read["supported"] is lab_has(lab, "koding_settings")
    if lab_has(lab, "koding_settings"):
        assert run(lab, "gitlab_koding_settings", ENABLE)["changed"]
        assert not run(lab, "gitlab_koding_settings", ENABLE)["changed"]
    else:
        result = run(lab, "gitlab_koding_settings", ENABLE, expect_fail=True)
        assert releases.last("koding_settings") in result["msg"]
    assert writes(lab) == [] or lab_has(lab, "koding_settings")


@pytest.mark.parametrize("name", supported_profiles())
def test_hook_module_on_every_profile(collection_path, release_labs, name):
    """Create, check mode, idempotence, update (in place where PUT exists, else delete and add), delete."""
    lab = release_labs(name)
    args = dict(HOOK, repository_update_events=False)
    assert run(lab, "gitlab_system_hook", dict(args, _ansible_check_mode=True))["changed"]
    assert writes(lab) == []
    created = run(lab, "gitlab_system_hook", args)
    assert created["changed"]
    assert created["hook"]["repository_update_events"] is not lab_has(lab, "hook_repository_update_param")
    for check_mode in (True, False):
        again = run(lab, "gitlab_system_hook", dict(args, _ansible_check_mode=check_mode))
        assert not again["changed"] and again["hook"]["id"] == created["hook"]["id"], again
    count = len(writes(lab))
    updated = run(lab, "gitlab_system_hook", dict(args, push_events=True))
    assert updated["changed"] and updated["hook"]["push_events"] is True
    methods = [entry["method"] for entry in writes(lab)[count:] if entry["status"] < 400]
    if lab_has(lab, "hooks_put"):
        assert methods == ["PUT"] and updated["hook"]["id"] == created["hook"]["id"]
    else:
        assert methods == ["DELETE", "POST"] and updated["hook"]["id"] != created["hook"]["id"]
    assert not run(lab, "gitlab_system_hook", dict(args, push_events=True))["changed"]
    assert run(lab, "gitlab_system_hook", dict(url=HOOK["url"], state="absent"))["changed"]
    assert not run(lab, "gitlab_system_hook", dict(url=HOOK["url"], state="absent"))["changed"]
    assert not any(entry["method"] == "GET" and re.match(r"/api/v4/hooks/", entry["path"]) for entry in lab.requests_log())


@pytest.mark.parametrize("name", supported_profiles())
def test_oauth_app_module_on_every_profile(collection_path, release_labs, name):
    """No API: refused as unsupported, naming the Admin Area; create only: kept by its client id; list and delete:
    idempotent by name, and removed."""
    lab = release_labs(name)
    if not lab_has(lab, "applications_create"):
        result = run(lab, "gitlab_oauth_app", APP, expect_fail=True)
        assert result["unsupported"] and "Admin Area" in result["msg"] and releases.since("applications_create") in result["msg"]
        assert [entry for entry in writes(lab) if entry["status"] < 400] == []
        return
    assert run(lab, "gitlab_oauth_app", dict(APP, _ansible_check_mode=True))["changed"]
    assert writes(lab) == []
    created = run(lab, "gitlab_oauth_app", APP)
    assert created["changed"] and created["secret"]
    if not lab_has(lab, "applications_list"):
        kept = run(lab, "gitlab_oauth_app", dict(APP, application_id=created["application"]["application_id"]))
        assert not kept["changed"]
        return
    count = len(writes(lab))
    assert not run(lab, "gitlab_oauth_app", APP)["changed"]
    assert not run(lab, "gitlab_oauth_app", dict(APP, _ansible_check_mode=True))["changed"]
    assert len(writes(lab)) == count
    assert run(lab, "gitlab_oauth_app", dict(name=APP["name"], state="absent"))["changed"]
    assert not run(lab, "gitlab_oauth_app", dict(name=APP["name"], state="absent"))["changed"]
    assert lab.api("GET", "/applications").json() == []


def lab_has(lab, capability_or_feature):
    """What the lab's profile plays (a lab feature name)."""
    return profiles.Profile(lab.profile).has(capability_or_feature)

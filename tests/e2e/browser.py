"""Headless Chromium (Debian's package) driven with Playwright: a person signing in to Koding with GitLab."""

import os
import shutil
import subprocess
import tempfile
from urllib.parse import quote, urlsplit

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")


def chromium_args(gitlab_host):
    # Running as root in a container-like machine; nothing in the background may call out.
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # GitLab's container name, as Koding knows it, is the published port on this host's loopback.
        # Names under .localhost (Koding and its team) resolve to loopback in Chromium by themselves.
        "--host-resolver-rules=MAP %s 127.0.0.1" % gitlab_host,
    ]


class Browser:
    """A fresh profile each time (a new --user-data-dir): no cookie of an earlier sign-in."""

    def __init__(self, stack):
        self.stack = stack
        self.profile_dir = None
        self.playwright = None
        self.context = None
        self.page = None
        self.shots = []

    def __enter__(self):
        self.profile_dir = tempfile.mkdtemp(prefix="e2e-chromium-")
        env = dict(os.environ)
        if self.stack.tls_dir:
            # Chromium on Linux trusts the CA certificates of the NSS database in $HOME/.pki/nssdb: the CA the front's
            # certificate chains to (the lab CA, or Pebble's root) goes there (trusted for servers, "C,,"), in a home
            # of this profile's own; nothing else is relaxed.
            env["HOME"] = self.profile_dir
            nssdb = os.path.join(self.profile_dir, ".pki", "nssdb")
            os.makedirs(nssdb)
            subprocess.run(["certutil", "-N", "-d", "sql:" + nssdb, "--empty-password"], check=True)
            subprocess.run(["certutil", "-A", "-d", "sql:" + nssdb, "-n", "koding-front-ca", "-t", "C,,", "-i", self.stack.trusted_ca], check=True)
        self.playwright = sync_playwright().start()
        self.context = self.playwright.chromium.launch_persistent_context(
            os.path.join(self.profile_dir, "chromium"),
            executable_path=CHROMIUM,
            headless=True,
            args=chromium_args(urlsplit(self.stack.gitlab_container_url).hostname),
            viewport={"width": 1024, "height": 640},
            env=env,
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(30000)
        return self

    def __exit__(self, *exc):
        try:
            self.context.close()
        finally:
            self.playwright.stop()
            shutil.rmtree(self.profile_dir, ignore_errors=True)

    def shot(self, name):
        path = os.path.join(self.stack.output, "%s.png" % name)
        self.page.screenshot(path=path, full_page=True)
        self.shots.append(path)
        return path

    def cookie(self, url, name):
        return next((cookie["value"] for cookie in self.context.cookies(url) if cookie["name"] == name), None)


def gitlab_sign_in_url(browser, stack, log):
    """What Koding's GitLab button opens: GET /OAuth/url?provider=gitlab (servers/lib/server/oauth_url.coffee, with
    OAuth.getUrl, workers/social/lib/social/models/oauth.coffee:34-46). Where Koding does not serve it, the same URL
    is built from the values Koding was given."""
    # Fetched from the page, as the client's button does (same origin, the page's cookies).
    status, text = browser.page.evaluate(
        "async () => { const answer = await fetch('/OAuth/url?provider=gitlab'); return [answer.status, await answer.text()]; }"
    )
    if status == 200 and text.startswith("http"):
        log("sign-in URL from Koding's /OAuth/url")
        return text.strip()
    stored = stack.credentials()
    env = stack.koding_env()
    log("Koding answered %d to /OAuth/url; the sign-in URL is built as OAuth.getUrl builds it" % status)
    return "%s/oauth/authorize?client_id=%s&redirect_uri=%s&response_type=code" % (
        stack.gitlab_container_url,
        env.get("KONFIG_GITLAB_APPLICATIONID") or stored["application_id"],
        quote(stored["application_redirect_uri"], safe=":/"),
    )


def sign_in_with_gitlab(stack, username, password, prefix, log=print):
    """Koding -> GitLab's sign-in -> GitLab's authorize page -> approve -> Koding. Returns Koding's clientId cookie."""
    with Browser(stack) as browser:
        page = browser.page
        page.goto(stack.team_url + "/")
        browser.shot("%s-1-koding" % prefix)
        page.goto(gitlab_sign_in_url(browser, stack, log))
        assert urlsplit(page.url).path == "/users/sign_in", page.url
        assert page.url.startswith(stack.gitlab_container_url), page.url
        page.fill("#user_login", username)
        page.fill("#user_password", password)
        browser.shot("%s-2-gitlab-sign-in" % prefix)
        page.click("input[type=submit][value='Sign in']")
        page.wait_for_load_state()
        assert urlsplit(page.url).path == "/oauth/authorize", page.url
        assert "to use your account?" in page.inner_text("h1")
        browser.shot("%s-3-gitlab-authorize" % prefix)
        page.click("input[type=submit][value='Authorize']")
        page.wait_for_load_state()
        landed = urlsplit(page.url)
        browser.shot("%s-4-koding-signed-in" % prefix)
        assert "%s:%s" % (landed.hostname, landed.port) == urlsplit(stack.team_url).netloc, page.url
        assert "error" not in landed.query, page.url
        return browser.cookie(stack.team_url, "clientId"), browser.shots

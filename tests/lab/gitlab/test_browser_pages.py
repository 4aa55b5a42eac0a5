"""Fidelity: the browser pages an OAuth sign-in passes through (Devise's sign-in form, Doorkeeper's authorize page).

A plain HTTP client with a cookie jar plays the browser; the end-to-end tests (tests/e2e) drive a real Chromium.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .gitlab_lab.tokens import USER_PASSWORDS

CALLBACK = "http://koding.example/-/oauth/gitlab/callback"


@pytest.fixture
def app(lab):
    answer = lab.api("POST", "/applications", data={"name": "Koding", "redirect_uri": CALLBACK, "scopes": "api read_user"})
    assert answer.status_code == 201
    return answer.json()


@pytest.fixture
def browser():
    with requests.Session() as session:
        yield session


def authorize_url(lab, app, state="s1"):
    return "%s/oauth/authorize?client_id=%s&redirect_uri=%s&response_type=code&state=%s" % (lab.url, app["application_id"], CALLBACK, state)


def sign_in(lab, browser, login="labuser", password=USER_PASSWORDS["labuser"]):
    return browser.post(lab.url + "/users/sign_in", data={"user[login]": login, "user[password]": password}, allow_redirects=False, timeout=30)


def test_stranger_is_sent_to_sign_in_and_back(lab, app, browser):
    first = browser.get(authorize_url(lab, app), allow_redirects=False, timeout=30)
    assert first.status_code == 302
    assert first.headers["Location"] == lab.url + "/users/sign_in"
    assert "_gitlab_session" in browser.cookies
    form = browser.get(lab.url + "/users/sign_in", timeout=30)
    assert form.status_code == 200
    assert 'name="user[login]"' in form.text and 'name="user[password]"' in form.text
    signed_in = sign_in(lab, browser)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == authorize_url(lab, app)


def test_session_id_is_renewed_on_sign_in(lab, browser):
    browser.get(lab.url + "/", allow_redirects=False, timeout=30)
    before = browser.cookies["_gitlab_session"]
    sign_in(lab, browser)
    assert browser.cookies["_gitlab_session"] != before


def test_wrong_password_shows_the_form_with_devise_alert(lab, browser):
    answer = sign_in(lab, browser, password="not-the-password")
    assert answer.status_code == 200
    assert "Invalid Login or password." in answer.text
    assert browser.get(lab.url + "/", allow_redirects=False, timeout=30).status_code == 302


def test_sign_in_by_email_goes_to_dashboard(lab, browser):
    answer = sign_in(lab, browser, login="labuser@example.com")
    assert answer.status_code == 302
    assert answer.headers["Location"] == lab.url + "/"
    dashboard = browser.get(lab.url + "/", timeout=30)
    assert "@labuser" in dashboard.text
    # Devise's require_no_authentication: a signed-in user does not get the form again.
    assert browser.get(lab.url + "/users/sign_in", allow_redirects=False, timeout=30).status_code == 302


def test_user_created_through_the_api_signs_in_with_its_password(lab, browser):
    created = lab.api("POST", "/users", data={"email": "ada@example.com", "username": "ada", "name": "Ada", "password": "ada-password-1"})
    assert created.status_code == 201
    assert sign_in(lab, browser, "ada", "ada-password-1").status_code == 302
    assert "@ada" in browser.get(lab.url + "/", timeout=30).text


def test_authorize_page_then_approve_redirects_with_code(lab, app, browser):
    sign_in(lab, browser)
    page = browser.get(authorize_url(lab, app), allow_redirects=False, timeout=30)
    assert page.status_code == 200
    assert "Authorize Koding to use your account?" in page.text
    assert "<li>api</li>" in page.text and "<li>read_user</li>" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text.split("</form>")[0]))
    assert fields == {"client_id": app["application_id"], "redirect_uri": CALLBACK, "state": "s1", "response_type": "code", "scope": "api read_user"}
    approved = browser.post(lab.url + "/oauth/authorize", data=fields, allow_redirects=False, timeout=30)
    assert approved.status_code == 302
    location = approved.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["s1"]
    token = requests.post(
        lab.url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["application_id"],
            "client_secret": app["secret"],
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
        },
        timeout=30,
    )
    assert token.status_code == 200
    user = lab.api("GET", "/user", token=None, headers={"Authorization": "Bearer " + token.json()["access_token"]})
    assert user.json()["username"] == "labuser"
    # Doorkeeper's matching_token?: the next authorize grants at once.
    again = browser.get(authorize_url(lab, app, "s2"), allow_redirects=False, timeout=30)
    assert again.status_code == 302
    assert parse_qs(urlsplit(again.headers["Location"]).query)["state"] == ["s2"]


def test_deny_redirects_with_access_denied(lab, app, browser):
    sign_in(lab, browser)
    fields = {"client_id": app["application_id"], "redirect_uri": CALLBACK, "state": "s3", "response_type": "code", "_method": "delete"}
    denied = browser.post(lab.url + "/oauth/authorize", data=fields, allow_redirects=False, timeout=30)
    assert denied.status_code == 302
    query = parse_qs(urlsplit(denied.headers["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["error_description"] == ["The resource owner or authorization server denied the request."]
    assert query["state"] == ["s3"]


def test_authorize_page_checks_client_first(lab, browser):
    sign_in(lab, browser)
    answer = browser.get(lab.url + "/oauth/authorize?client_id=nope&redirect_uri=%s&response_type=code" % CALLBACK, allow_redirects=False, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"

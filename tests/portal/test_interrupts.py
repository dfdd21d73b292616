"""Interrupts: what a signed-in user must do first (portal/interrupts.py, portal/stages.py)."""

from types import SimpleNamespace

import pytest
from allauth.account.models import Login
from django.contrib.sessions.backends.db import SessionStore

from portal import interrupts
from portal.interrupts import Interrupt, pending_interrupt, portal_interrupts
from portal.stages import InterruptsStage
from security_info.apps import MUST_REGISTER_SESSION_KEY, REVIEW_SESSION_KEY
from security_info.password.apps import MUST_CHANGE_PASSWORD_SESSION_KEY
from tests.factories import PASSWORD
from tests.security_info.conftest import mark_strong_sign_in

PASSWORD_PAGE = "/password/"
SETUP_PAGE = "/security-info/setup/"

# The interrupts' `due` checks below, found by their dotted paths; each notes its calls.
calls: list[tuple] = []


def always_due(request, user):
    calls.append(("always_due", request, user))
    return "expired"


def never_due(request, user):
    calls.append(("never_due", request, user))
    return ""


def due_as_none(request, user):
    return None


def make_interrupt(key, due, order=0, url_name="portal:overview", allowed=()):
    return Interrupt(
        session_key=key,
        url_name=url_name,
        allowed=allowed,
        due=f"tests.portal.test_interrupts.{due}",
        order=order,
    )


@pytest.fixture(autouse=True)
def _no_calls():
    calls.clear()
    yield
    calls.clear()


def flag(client, **values):
    session = client.session
    for key, value in values.items():
        if value is None:
            session.pop(key, None)
        else:
            session[key] = value
    session.save()


def both_pending(client):
    flag(
        client,
        **{MUST_CHANGE_PASSWORD_SESSION_KEY: "expired", MUST_REGISTER_SESSION_KEY: True},
    )


def session_request(rf, path="/"):
    request = rf.get(path)
    request.session = SessionStore()
    return request


# Which interrupts there are, and in what order.


def test_the_installed_interrupts_come_lowest_order_first():
    found = portal_interrupts()
    assert [(i.session_key, i.url_name, i.order) for i in found] == [
        (MUST_CHANGE_PASSWORD_SESSION_KEY, "password:change", 10),
        (MUST_REGISTER_SESSION_KEY, "security_info:setup", 20),
        (REVIEW_SESSION_KEY, "security_info:review", 30),
    ]
    assert found[1].allowed == found[2].allowed == ("security_info:",)


def test_interrupts_are_sorted_by_order_not_by_app(monkeypatch):
    late = make_interrupt("late", "always_due", order=30)
    early = make_interrupt("early", "always_due", order=5)
    middle = make_interrupt("middle", "always_due", order=10)
    configs = [
        SimpleNamespace(portal_interrupts=(late, early)),
        SimpleNamespace(),  # an app without interrupts
        SimpleNamespace(portal_interrupts=(middle,)),
    ]
    monkeypatch.setattr(interrupts.apps, "get_app_configs", lambda: configs)
    portal_interrupts.cache_clear()
    try:
        assert portal_interrupts() == (early, middle, late)
    finally:
        portal_interrupts.cache_clear()


def test_an_interrupt_asks_its_due_check_with_the_request_and_user(rf, alice):
    request = rf.get("/")
    assert make_interrupt("k", "always_due").due_for(request, alice) == "expired"
    assert calls == [("always_due", request, alice)]


# pending_interrupt: which one comes first on a page.


def test_nothing_is_pending_in_a_fresh_session(rf):
    request = session_request(rf)
    for view_name in ["portal:overview", "security_info:index", "password:change", "admin:index"]:
        assert pending_interrupt(request, view_name) is None


def test_a_false_flag_is_not_pending(rf):
    request = session_request(rf)
    request.session[MUST_CHANGE_PASSWORD_SESSION_KEY] = ""
    request.session[MUST_REGISTER_SESSION_KEY] = False
    assert pending_interrupt(request, "portal:overview") is None


def test_the_lowest_pending_interrupt_comes_first(rf):
    request = session_request(rf)
    request.session[MUST_CHANGE_PASSWORD_SESSION_KEY] = "temporary"
    request.session[MUST_REGISTER_SESSION_KEY] = True
    assert pending_interrupt(request, "portal:overview").url_name == "password:change"
    # Even the second one's own pages lead to the first one.
    assert pending_interrupt(request, "security_info:setup").url_name == "password:change"
    assert pending_interrupt(request, "security_info:index").url_name == "password:change"
    # The first one's own page and what it allows are reachable.
    assert pending_interrupt(request, "password:change") is None
    assert pending_interrupt(request, "password:strength") is None


def test_a_namespace_prefix_allows_every_page_in_it_and_only_those(rf):
    request = session_request(rf)
    request.session[MUST_REGISTER_SESSION_KEY] = True
    assert pending_interrupt(request, "security_info:index") is None
    assert pending_interrupt(request, "security_info:add_authenticator") is None
    assert pending_interrupt(request, "security_info:setup") is None
    assert pending_interrupt(request, "password:change").url_name == "security_info:setup"
    # A prefix is a whole namespace, not any view name that begins with the same letters.
    assert pending_interrupt(request, "security_infox:index").url_name == "security_info:setup"


@pytest.mark.parametrize(
    "view_name", ["account_logout", "health", "portal:dismiss_browser_notice", "api:me"]
)
def test_signing_out_health_and_the_api_are_always_allowed(rf, view_name):
    request = session_request(rf)
    request.session[MUST_CHANGE_PASSWORD_SESSION_KEY] = "expired"
    request.session[MUST_REGISTER_SESSION_KEY] = True
    assert pending_interrupt(request, view_name) is None


# Through the middleware, on real pages.


def test_with_both_pending_every_other_page_leads_to_the_password_first(alice_client):
    both_pending(alice_client)
    for url in ["/", "/security-info/", SETUP_PAGE, "/me/photo/", "/admin/"]:
        response = alice_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == PASSWORD_PAGE, url


def test_the_password_page_stays_reachable_instead_of_leading_to_setup(alice_client):
    both_pending(alice_client)
    response = alice_client.get(PASSWORD_PAGE)
    assert response.status_code == 200
    strength = alice_client.post(
        "/password/strength/", {"password": "x"}, content_type="application/json"
    )
    assert strength.status_code == 200
    assert "score" in strength.json()


def test_once_the_password_is_met_the_setup_comes_next(alice_client, alice):
    mark_strong_sign_in(alice_client, alice)  # the Security info pages ask for sudo mode
    both_pending(alice_client)
    assert alice_client.get("/")["Location"] == PASSWORD_PAGE

    flag(alice_client, **{MUST_CHANGE_PASSWORD_SESSION_KEY: None})

    assert alice_client.get("/")["Location"] == SETUP_PAGE
    assert alice_client.get(PASSWORD_PAGE)["Location"] == SETUP_PAGE
    assert alice_client.get(SETUP_PAGE).status_code == 200
    assert alice_client.get("/security-info/authenticator/add/").status_code == 200


def test_signing_out_stays_possible_while_one_is_pending(alice_client):
    both_pending(alice_client)
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] != PASSWORD_PAGE
    assert "_auth_user_id" not in alice_client.session
    assert alice_client.get("/")["Location"].startswith("/accounts/login/")


def test_the_health_check_and_the_api_stay_reachable_while_one_is_pending(alice_client):
    both_pending(alice_client)
    health = alice_client.get("/health/")
    assert health.status_code == 200
    assert health.content == b"ok\n"
    # The API answers for itself (it wants an app password), not with a redirect.
    assert alice_client.get("/api/me").status_code == 401


def test_nothing_pending_leaves_every_page_open(alice_client, alice):
    mark_strong_sign_in(alice_client, alice)
    for url in ["/", "/security-info/", PASSWORD_PAGE]:
        assert alice_client.get(url).status_code == 200, url
    # The setup page itself has nothing to offer then.
    assert alice_client.get(SETUP_PAGE)["Location"] == "/security-info/"


def test_a_sign_in_with_a_temporary_password_arms_both_in_order(client, alice):
    alice.must_change_password = True
    alice.save()
    response = client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[MUST_CHANGE_PASSWORD_SESSION_KEY] == "temporary"
    assert client.session[MUST_REGISTER_SESSION_KEY]
    assert client.get("/")["Location"] == PASSWORD_PAGE
    assert client.get(SETUP_PAGE)["Location"] == PASSWORD_PAGE
    # Replacing the password meets the first; registering a method is next.
    new = "Quiet-Harbour-Lantern-4817"
    changed = client.post(PASSWORD_PAGE, {"new_password1": new, "new_password2": new})
    assert changed.status_code == 302
    assert MUST_CHANGE_PASSWORD_SESSION_KEY not in client.session
    assert client.get("/")["Location"] == SETUP_PAGE
    assert client.get(SETUP_PAGE).status_code == 200


# InterruptsStage: arming the due interrupts at sign-in.


def stage_for(rf, user):
    request = session_request(rf, "/accounts/login/")
    stage = InterruptsStage(controller=object(), request=request, login=Login(user=user))
    return stage, request


def test_the_stage_stores_a_due_interrupts_value_in_the_session(rf, alice, monkeypatch):
    monkeypatch.setattr(
        "portal.stages.portal_interrupts", lambda: (make_interrupt("test.due", "always_due"),)
    )
    stage, request = stage_for(rf, alice)

    assert stage.handle() == (None, True)

    assert request.session["test.due"] == "expired"
    assert calls == [("always_due", request, alice)]


def test_the_stage_removes_a_stale_flag_of_one_not_due(rf, alice, monkeypatch):
    monkeypatch.setattr(
        "portal.stages.portal_interrupts",
        lambda: (
            make_interrupt("test.falsy", "never_due"),
            make_interrupt("test.none", "due_as_none"),
        ),
    )
    stage, request = stage_for(rf, alice)
    request.session["test.falsy"] = "expired"  # left from an earlier sign-in
    request.session["test.none"] = True
    request.session["unrelated"] = "kept"

    assert stage.handle() == (None, True)

    assert "test.falsy" not in request.session
    assert "test.none" not in request.session
    assert request.session["unrelated"] == "kept"


def test_the_stage_arms_some_and_clears_others_in_one_pass(rf, alice, monkeypatch):
    monkeypatch.setattr(
        "portal.stages.portal_interrupts",
        lambda: (
            make_interrupt("test.first", "always_due"),
            make_interrupt("test.second", "never_due"),
        ),
    )
    stage, request = stage_for(rf, alice)
    request.session["test.second"] = True

    assert stage.handle() == (None, True)

    assert request.session["test.first"] == "expired"
    assert "test.second" not in request.session
    assert [name for name, *_ in calls] == ["always_due", "never_due"]


def test_the_stage_with_no_interrupts_lets_the_sign_in_through(rf, alice, monkeypatch):
    monkeypatch.setattr("portal.stages.portal_interrupts", tuple)
    stage, request = stage_for(rf, alice)
    assert stage.handle() == (None, True)
    assert dict(request.session.items()) == {}


def test_the_stage_keys_its_state_under_its_own_name(rf, alice):
    login = Login(user=alice)
    InterruptsStage(controller=object(), request=session_request(rf), login=login)
    assert InterruptsStage.key == "interrupts"
    assert login.state == {"stages": {"interrupts": {"data": {}}}}

"""Smart lockout: wrong passwords lock an account for a short, growing while, per side."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from organizations.models import PasswordPolicy
from security_info.password import lockout, passwords
from security_info.password.models import Lockout
from signins.models import SignInEvent
from tests.factories import PASSWORD

ALICE = "alice@northwind.example"
HOME = "81.2.69.160"  # where Alice signed in last week
ELSEWHERE = "198.51.100.7"
LOCKED = "temporarily locked"
Reason = SignInEvent.Reason


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False)


def sign_in(email=ALICE, password=PASSWORD, ip=ELSEWHERE):
    """One attempt from a fresh browser; return the response and whether it signed in."""
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip
    )
    return response, SESSION_KEY in client.session


def errors(response) -> str:
    return str(response.context["form"].non_field_errors())


def fail(times, email=ALICE, ip=ELSEWHERE):
    for _ in range(times):
        response, signed_in = sign_in(email, "wrong password", ip)
        assert not signed_in
    return response


def signed_in_last_week(user, ip=HOME):
    SignInEvent.objects.create(
        user=user,
        result=SignInEvent.Result.SUCCESS,
        ip=ip,
        created_at=datetime(2026, 2, 23, tzinfo=UTC),
    )


def last_reason():
    return SignInEvent.objects.first().reason


def test_ten_wrong_passwords_lock_the_account_and_the_tenth_says_so(alice):
    nine = fail(9)
    assert LOCKED not in errors(nine)
    tenth = fail(1)
    assert "locked to prevent unauthorized use. Try again in 1 minute" in errors(tenth)
    reasons = list(SignInEvent.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == [Reason.WRONG_PASSWORD] * 9 + [Reason.LOCKED_OUT]


def test_the_right_password_is_refused_while_locked(alice):
    fail(10)
    response, signed_in = sign_in()
    assert not signed_in
    assert "Try again in 1 minute, or reset your password." in errors(response)
    assert last_reason() == Reason.LOCKED_OUT
    assert SignInEvent.objects.count() == 11  # one event per attempt


def test_the_lock_lifts_after_a_minute(alice, time_machine):
    fail(10)
    time_machine.shift(59)
    assert not sign_in()[1]
    time_machine.shift(2)
    response, signed_in = sign_in()
    assert signed_in
    assert response["Location"] == "/"


def test_each_lockout_in_a_row_lasts_twice_as_long(alice, time_machine):
    fail(10)
    time_machine.shift(60)
    response = fail(10)
    assert "Try again in 2 minutes" in errors(response)
    time_machine.shift(119)
    assert not sign_in()[1]
    time_machine.shift(1)
    response = fail(10)
    assert "Try again in 4 minutes" in errors(response)
    time_machine.shift(239)
    assert not sign_in()[1]
    time_machine.shift(1)
    assert sign_in()[1]


def test_the_lock_never_lasts_more_than_a_day(alice, northwind):
    PasswordPolicy.objects.create(organization=northwind, lockout_threshold=3)
    Lockout.objects.create(user=alice, familiar=False, streak=30)
    assert lockout.register_failure(alice, familiar=False) == 0
    assert lockout.register_failure(alice, familiar=False) == 0
    assert lockout.register_failure(alice, familiar=False) == 24 * 60 * 60


def test_a_success_resets_the_growth(alice, time_machine):
    fail(10)
    time_machine.shift(60)
    assert sign_in()[1]
    response = fail(10)
    assert "Try again in 1 minute" in errors(response)
    time_machine.shift(60)
    assert sign_in()[1]


def test_a_success_resets_the_count_of_wrong_passwords(alice):
    fail(9)
    assert sign_in()[1]
    assert LOCKED not in errors(fail(9))


def test_attempts_while_locked_neither_count_nor_extend_the_lock(alice, time_machine):
    fail(10)
    time_machine.shift(30)
    response = fail(5)
    assert "Try again in 1 minute" in errors(response)
    assert Lockout.objects.get(user=alice).failures == 0
    time_machine.shift(30)
    assert sign_in()[1]


def test_the_organization_policy_sets_the_threshold_and_the_duration(
    alice, northwind, time_machine
):
    PasswordPolicy.objects.create(organization=northwind, lockout_threshold=3, lockout_seconds=30)
    assert LOCKED not in errors(fail(2))
    assert "Try again in 1 minute" in errors(fail(1))
    time_machine.shift(29)
    assert not sign_in()[1]
    time_machine.shift(1)
    assert lockout.register_failure(alice, familiar=False) == 0
    assert lockout.register_failure(alice, familiar=False) == 0
    assert lockout.register_failure(alice, familiar=False) == 60  # the second in a row
    time_machine.shift(60)
    assert sign_in()[1]


def test_an_attacker_elsewhere_cannot_lock_alice_out_of_home(alice):
    signed_in_last_week(alice, HOME)
    fail(10, ip=ELSEWHERE)
    assert not sign_in(ip=ELSEWHERE)[1]
    assert sign_in(ip=HOME)[1]


def test_wrong_passwords_at_home_lock_the_familiar_side(alice):
    signed_in_last_week(alice, HOME)
    fail(10, ip=HOME)
    response, signed_in = sign_in(ip=HOME)
    assert not signed_in
    assert LOCKED in errors(response)
    assert Lockout.objects.get(user=alice).familiar is True


def test_a_place_is_familiar_for_thirty_days(alice, time_machine):
    signed_in_last_week(alice, HOME)
    assert lockout.is_familiar(alice, HOME)
    assert not lockout.is_familiar(alice, ELSEWHERE)
    time_machine.shift(timedelta(days=24))
    assert not lockout.is_familiar(alice, HOME)


def test_only_successful_sign_ins_of_the_same_user_make_a_place_familiar(alice, bob):
    signed_in_last_week(bob, HOME)
    SignInEvent.objects.create(user=alice, result=SignInEvent.Result.FAILURE, ip=ELSEWHERE)
    assert not lockout.is_familiar(alice, HOME)
    assert not lockout.is_familiar(alice, ELSEWHERE)


def test_an_ipv6_place_is_its_64_prefix(alice):
    signed_in_last_week(alice, "2001:db8:0:0:1::")
    assert lockout.is_familiar(alice, "2001:db8::1:2:3:4")
    assert lockout.is_familiar(alice, "2001:db8:0:0:ffff:ffff:ffff:ffff")
    assert not lockout.is_familiar(alice, "2001:db8:0:1::1")
    assert not lockout.is_familiar(alice, HOME)


@pytest.mark.parametrize("ip", [None, "", "not an address"])
def test_an_unknown_address_is_never_familiar(alice, ip):
    signed_in_last_week(alice, HOME)
    assert not lockout.is_familiar(alice, ip)


def test_a_first_sign_in_from_a_new_place_clears_the_unfamiliar_side(alice):
    fail(5, ip=ELSEWHERE)
    assert sign_in(ip=ELSEWHERE)[1]
    assert not Lockout.objects.filter(user=alice).exists()
    assert lockout.is_familiar(alice, ELSEWHERE)


def test_a_success_at_home_leaves_the_other_side_locked(alice):
    signed_in_last_week(alice, HOME)
    fail(10, ip=ELSEWHERE)
    assert sign_in(ip=HOME)[1]
    assert lockout.locked_for(alice, familiar=False) == 60
    assert not sign_in(ip=ELSEWHERE)[1]


def test_an_unknown_address_locks_like_a_real_one(alice):
    """Ten wrong passwords show the same lock to a real account and to an unknown address."""
    shown = {}
    for email, ip in (("alice@northwind.example", ELSEWHERE), ("nobody@northwind.example", HOME)):
        answers = [errors(fail(1, email=email, ip=ip)) for _attempt in range(11)]
        shown[email] = answers
    assert shown["alice@northwind.example"] == shown["nobody@northwind.example"]
    assert LOCKED not in shown["nobody@northwind.example"][8]
    assert LOCKED in shown["nobody@northwind.example"][9]
    assert LOCKED in shown["nobody@northwind.example"][10]
    unknown = Lockout.objects.get(user=None)
    assert "nobody" not in unknown.address  # a keyed hash, not the address
    reasons = SignInEvent.objects.filter(email="nobody@northwind.example")
    assert set(reasons.values_list("reason", flat=True)) == {Reason.UNKNOWN_ACCOUNT}


def test_a_new_password_unlocks(alice, rf):
    fail(10)
    request = rf.post("/password/reset/key/", REMOTE_ADDR=ELSEWHERE)
    request.user = AnonymousUser()
    passwords.set_password(
        request, alice, "a brand new passphrase", kind=passwords.SecurityEvent.Kind.PASSWORD_RESET
    )
    assert not Lockout.objects.filter(user=alice).exists()
    assert sign_in(password="a brand new passphrase")[1]


def test_unlock_lifts_both_sides(alice):
    signed_in_last_week(alice, HOME)
    fail(10, ip=HOME)
    fail(10, ip=ELSEWHERE)
    lockout.unlock(alice)
    assert sign_in(ip=HOME)[1]
    assert sign_in(ip=ELSEWHERE)[1]


def test_the_per_address_limit_still_applies(alice, bob, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_failed": "3/m/ip"}
    fail(2, email=ALICE)
    fail(1, email="bob@northwind.example")
    response, signed_in = sign_in("bob@northwind.example")
    assert not signed_in
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert last_reason() == Reason.RATE_LIMITED
    assert sign_in(ip=HOME)[1]  # another address is not affected


def test_wrong_passwords_for_security_info_do_not_lock_the_users_own_sign_in(alice, client):
    """Re-verifying for sudo mode is limited on its own; it never locks a side of the account."""
    signed_in_last_week(alice, HOME)
    client.force_login(alice)
    for _ in range(10):
        response = client.post(
            "/security-info/verify/", {"password": "wrong password"}, REMOTE_ADDR=HOME
        )
        assert response.status_code == 200
    refused = client.post("/security-info/verify/", {"password": PASSWORD}, REMOTE_ADDR=HOME)
    assert refused.status_code == 429
    assert not Lockout.objects.filter(user=alice).exists()
    assert sign_in(ip=HOME)[1]


def lockout_queries(captured) -> list[str]:
    """The queries that read or write lockouts, or look for a familiar place."""
    return [
        q["sql"]
        for q in captured
        if "password_lockout" in q["sql"]
        or (q["sql"].startswith("SELECT") and "signins_signinevent" in q["sql"])
    ]


def test_a_sign_in_costs_no_query_more(alice):
    client = Client()
    with CaptureQueriesContext(connection) as captured:
        client.post("/accounts/login/", {"login": ALICE, "password": PASSWORD})
    assert SESSION_KEY in client.session
    # The user is looked up with flags for a lock on either side and for failures to forget;
    # with neither, nothing else is asked ("familiar" is only computed when there is a row).
    assert len(lockout_queries(captured)) == 1


def test_a_sign_in_after_failures_forgets_them(alice):
    fail(2)
    client = Client()
    client.post("/accounts/login/", {"login": ALICE, "password": PASSWORD})
    assert SESSION_KEY in client.session
    assert not Lockout.objects.filter(user=alice).exists()


def test_a_wrong_password_costs_a_few_queries_more(alice):
    fail(1)
    with CaptureQueriesContext(connection) as captured:
        fail(1)
    # The locked flag, the familiar check, the row lock and the count.
    assert len(lockout_queries(captured)) == 4

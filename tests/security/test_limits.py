"""Every rate limit holds at its configured threshold, answers the one way, and changes nothing.

The table below names, for each action of settings.RATE_LIMITS, a page that consumes it and
how to make one attempt there. For every rate of every action, exactly the configured number
of attempts pass and the next one, even with the right code or password, gets the kernel's
answer: 429 with Retry-After, the "Too many attempts" page or JSON for scripts and the API.

The limits that protect an account are ones a stranger cannot use up against its owner: an
"ipkey" rate counts per account from one address, so the owner elsewhere is unaffected; a
side-keyed rate (signins.services.side_key) counts the user's familiar places apart from
everywhere else, so the owner at home or at the office is unaffected.
"""

import base64
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from organizations.models import AuthenticationPolicy, Organization
from portal import crypto, ratelimits
from portal.context_processors import BROWSER_NOTICE_COOKIE
from portal.delivery import recent_outbox
from portal.models import User
from portal.ratelimits import Rate
from security_info import challenges
from security_info.app_passwords.passwords import DIGEST_PURPOSE, generate, normalize
from security_info.models import (
    AppPassword,
    Method,
    RecoveryCode,
    SecurityAnswer,
    SecurityQuestion,
    TemporaryAccessPass,
)
from security_info.security_questions.answers import hash_answer
from signins.models import SignInEvent
from tests.factories import PASSWORD, make_user
from tests.fakes.webauthn import SoftKey
from tests.security_info.conftest import add_authenticator, add_passkey, add_phone

STRANGER = "203.0.113.9"  # where the guesses come from
ELSEWHERE = "198.51.100.23"  # another place the user has never signed in from
FAMILIAR = "81.2.69.160"  # where the user signed in last week
NEW_PASSWORD = "a brand new passphrase 42"
RECOVERY_CODE = "abcdefghjk"
PASS = "abcd-efgh-jkmn"
# Out of the way of the limit under test: no other limit trips first.
GENEROUS = "100000/s/ip"


@dataclass
class Attempt:
    response: HttpResponse
    went_through: bool  # signed in, a code sent, the gate passed, the password changed


@dataclass
class Scene:
    """Alice, with an authenticator app (her default method) and a mobile phone; a Place's
    `arrange` adds what its attempts need."""

    user: User
    organization: Organization
    totp: pyotp.TOTP
    phone: Method
    app_password: str = ""
    answers: dict[int, str] = field(default_factory=dict)
    passkey: SoftKey | None = None
    methodless: User | None = None
    browsers: dict[str, Client] = field(default_factory=dict)
    serial: Iterator[int] = field(default_factory=itertools.count)  # a new number each time
    vary_case: bool = False  # type the address in another mix of capitals each time

    def address(self) -> str:
        """The account's address as the next attempt types it."""
        if not self.vary_case:
            return self.user.email
        n = next(self.serial)
        return "".join(c.upper() if n >> i & 1 else c for i, c in enumerate(self.user.email))

    def policy(self, **fields) -> None:
        AuthenticationPolicy.objects.update_or_create(
            organization=self.organization, defaults=fields
        )

    def browser(self, ip: str) -> Client:
        """The one browser at this address: its session lasts from attempt to attempt."""
        return self.browsers.setdefault(ip, Client(REMOTE_ADDR=ip))

    def signed_in(self, ip: str) -> Client:
        """A fresh browser at this address with the password given: the second step waits."""
        client = Client(REMOTE_ADDR=ip)
        response = client.post("/accounts/login/", {"login": self.user.email, "password": PASSWORD})
        assert response["Location"] == "/accounts/verify/"
        return client

    def wrong_totp(self) -> str:
        valid = {self.totp.at(timezone.now() + timedelta(seconds=s)) for s in (-30, 0, 30)}
        return next(code for code in ("000000", "111111", "222222") if code not in valid)

    def texts(self) -> int:
        return len(recent_outbox())


@pytest.fixture(autouse=True)
def _no_resend_wait(monkeypatch):
    """The half-minute wait before another code is not a rate limit: out of the way here."""
    monkeypatch.setattr(challenges, "RESEND_AFTER", 0)


@pytest.fixture
def scene(alice, northwind):
    method, totp = add_authenticator(alice)
    Method.objects.filter(pk=method.pk).update(is_default=True)
    phone = add_phone(alice, "+447400123456")
    return Scene(user=alice, organization=northwind, totp=totp, phone=phone)


def signed_in_last_week(user, ip=FAMILIAR) -> None:
    SignInEvent.objects.create(
        user=user,
        result=SignInEvent.Result.SUCCESS,
        ip=ip,
        created_at=timezone.now() - timedelta(days=7),
    )


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def phone_code() -> str:
    return "".join(re.findall(r"\d", recent_outbox()[0]["body"]))


def mailed_code() -> str:
    return re.search(r"\b\d{6}\b", mail.outbox[-1].body)[0]


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# The places, one or more for each action ----------------------------------------------------


class Place:
    """A page that consumes `action`: how to make one attempt there, wrong or right (a send
    is the same attempt either way)."""

    action: str
    allowed: int  # the status of a wrong attempt the limit lets through
    json = False  # the refusal comes as JSON

    def arrange(self, scene: Scene) -> None:
        """Give the account what attempts here need."""

    def attempt(self, scene: Scene, ip: str, *, right: bool) -> Attempt:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__


class SignInPage(Place):
    """Every POST to the sign-in page counts, well-formed or not."""

    action, allowed = "login", 200

    def attempt(self, scene, ip, *, right):
        client = Client(REMOTE_ADDR=ip)
        data = {"login": scene.user.email, "password": PASSWORD} if right else {}
        response = client.post("/accounts/login/", data)
        return Attempt(response, client.get("/accounts/verify/").status_code == 200)


class WrongPasswords(Place):
    """Wrong passwords from one address, each for another address (none locks on its own)."""

    action, allowed = "login_failed", 200

    def attempt(self, scene, ip, *, right):
        client = Client(REMOTE_ADDR=ip)
        if right:
            data = {"login": scene.user.email, "password": PASSWORD}
        else:
            data = {"login": f"guess{next(scene.serial)}@northwind.example", "password": "x"}
        response = client.post("/accounts/login/", data)
        return Attempt(response, client.get("/accounts/verify/").status_code == 200)


class SecondStepSend(Place):
    """Sign in another way, by a text to the phone, from a fresh sign-in each time."""

    action, allowed = "send_code", 302

    def attempt(self, scene, ip, *, right):
        client = scene.signed_in(ip)
        texts = scene.texts()
        response = client.post("/accounts/verify/switch/", {"option": f"{scene.phone.pk}:sms"})
        return Attempt(response, scene.texts() > texts)


class SecondStepSendTo(SecondStepSend):
    action = "send_code_to"


class SecondStepCode(Place):
    """A code from the authenticator app at the second step, from a fresh sign-in each time."""

    action, allowed = "check_code", 200

    def attempt(self, scene, ip, *, right):
        client = scene.signed_in(ip)
        code = scene.totp.now() if right else scene.wrong_totp()
        response = client.post("/accounts/verify/", {"code": code})
        return Attempt(response, signed_in(client))


class AppPasswordApi(Place):
    action, allowed, json = "check_app_password", 401, True

    def arrange(self, scene):
        scene.policy(allow_app_passwords=True)
        scene.app_password = generate()
        AppPassword.objects.create(
            user=scene.user,
            name="Mail",
            digest=crypto.digest(normalize(scene.app_password), DIGEST_PURPOSE),
        )

    def attempt(self, scene, ip, *, right):
        password = scene.app_password if right else generate()
        token = base64.b64encode(f"{scene.address()}:{password}".encode()).decode()
        header = f"Basic {token}"
        response = Client(REMOTE_ADDR=ip).get("/api/me", HTTP_AUTHORIZATION=header)
        return Attempt(response, AppPassword.objects.get().last_used_at is not None)


class ResetQuestions(Place):
    """Security questions at the second gate of a reset, the first passed by an email code."""

    action, allowed = "check_security_answers", 200

    def arrange(self, scene):
        scene.policy(reset_gates=2)
        Method.objects.create(user=scene.user, kind=Method.Kind.EMAIL, email="alice@home.example")
        scene.answers = {}
        for n, question in enumerate(SecurityQuestion.objects.filter(is_active=True)[:4]):
            scene.answers[question.pk] = f"Answer number {n}"
            SecurityAnswer.objects.create(
                user=scene.user,
                question=question,
                answer_hash=hash_answer(scene.answers[question.pk]),
            )

    def attempt(self, scene, ip, *, right):
        client = scene.browser(ip)
        if reset_gates_passed(client) == 0:
            start_reset(client, scene.user.email)
            client.post("/password/reset/verify/", {"option": "email"})
            client.post("/password/reset/code/", {"code": mailed_code()})
            client.post("/password/reset/verify/", {"option": "security_questions"})
        asked = client.get("/password/reset/questions/").context["form"].questions
        data = {
            f"answer_{n}": scene.answers[question.pk] if right else "wrong"
            for n, question in enumerate(asked, 1)
        }
        response = client.post("/password/reset/questions/", data)
        return Attempt(response, reset_gates_passed(client) == 2)


class SecondStepRecoveryCode(Place):
    action, allowed = "check_recovery_code", 200

    def arrange(self, scene):
        RecoveryCode.objects.create(
            user=scene.user, digest=crypto.digest(RECOVERY_CODE, "recovery_code")
        )

    def attempt(self, scene, ip, *, right):
        client = scene.signed_in(ip)
        code = RECOVERY_CODE if right else "zzzzzzzzzz"
        response = client.post("/accounts/recovery-code/", {"code": code})
        spent = RecoveryCode.objects.get().used_at is not None
        return Attempt(response, signed_in(client) or spent)


class TemporaryPassPage(Place):
    action, allowed = "check_temporary_pass", 200

    def arrange(self, scene):
        TemporaryAccessPass.objects.create(
            user=scene.user,
            digest=crypto.digest(PASS.replace("-", ""), "temporary_pass"),
            expires_at=timezone.now() + timedelta(hours=1),
        )

    def attempt(self, scene, ip, *, right):
        client = Client(REMOTE_ADDR=ip)
        data = {"email": scene.address(), "code": PASS if right else "zzzz-zzzz-zzzz"}
        response = client.post("/accounts/temporary-pass/", data)
        return Attempt(response, signed_in(client))


class ChangePassword(Place):
    """The current password, on the change page (no strong sign-in lately: it is asked)."""

    action, allowed = "check_current_password", 200

    def attempt(self, scene, ip, *, right):
        client = Client(REMOTE_ADDR=ip)
        client.force_login(scene.user)
        data = {
            "current_password": PASSWORD if right else "not my password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        }
        response = client.post("/password/", data)
        scene.user.refresh_from_db()
        return Attempt(response, scene.user.check_password(NEW_PASSWORD))


class ReverifyWithPassword(Place):
    """The password again, for sudo mode, from someone with no method (allauth's form)."""

    action, allowed = "check_current_password", 200

    def arrange(self, scene):
        scene.methodless = make_user(email="dana@northwind.example")

    def attempt(self, scene, ip, *, right):
        client = Client(REMOTE_ADDR=ip)
        client.force_login(scene.methodless)
        password = PASSWORD if right else "not my password"
        response = client.post("/security-info/verify/", {"password": password})
        return Attempt(response, client.get("/security-info/").status_code == 200)


class ResetStart(Place):
    action, allowed = "reset_start", 302

    def attempt(self, scene, ip, *, right):
        client = Client(REMOTE_ADDR=ip)
        response = start_reset(client, scene.address())
        return Attempt(response, client.get("/password/reset/verify/").status_code == 200)


class ResetSend(Place):
    """A text to the phone in a fresh reset each time (a new code waits half a minute)."""

    action, allowed = "reset_send", 302

    def attempt(self, scene, ip, *, right):
        client = Client(REMOTE_ADDR=ip)
        start_reset(client, scene.address())
        texts = scene.texts()
        response = client.post("/password/reset/verify/", {"option": "mobile_text"})
        return Attempt(response, scene.texts() > texts)


class ResetCode(Place):
    """Wrong codes for the texted one; the right attempt is a fresh mailed code, typed."""

    action, allowed = "reset_check", 200

    def arrange(self, scene):
        Method.objects.create(user=scene.user, kind=Method.Kind.EMAIL, email="alice@home.example")

    def attempt(self, scene, ip, *, right):
        client = scene.browser(ip)
        if "password.reset" not in client.session:
            start_reset(client, scene.user.email)
            client.post("/password/reset/verify/", {"option": "mobile_text"})
        if right:  # the texted code may be dead after five wrong ones: a fresh one, by email
            client.post("/password/reset/verify/", {"option": "email"})
            code = mailed_code()
        else:
            code = wrong(phone_code())
        response = client.post("/password/reset/code/", {"code": code})
        return Attempt(response, reset_gates_passed(client) == 1)


class ResetNewPassword(Place):
    """The new password, after a passed gate; a wrong attempt's two passwords differ."""

    action, allowed = "reset_finish", 200

    def attempt(self, scene, ip, *, right):
        client = scene.browser(ip)
        if reset_gates_passed(client) == 0:
            start_reset(client, scene.user.email)
            client.post("/password/reset/verify/", {"option": "mobile_text"})
            client.post("/password/reset/code/", {"code": phone_code()})
        confirm = NEW_PASSWORD if right else "something else"
        response = client.post(
            "/password/reset/new/", {"new_password1": NEW_PASSWORD, "new_password2": confirm}
        )
        scene.user.refresh_from_db()
        return Attempt(response, scene.user.check_password(NEW_PASSWORD))


class StrengthCheck(Place):
    action, allowed, json = "strength_check", 200, True

    def attempt(self, scene, ip, *, right):
        client = scene.browser(ip)
        client.force_login(scene.user)
        body = json.dumps({"password": "tr0ub4dor&3"})
        response = client.post("/password/strength/", body, content_type="application/json")
        return Attempt(response, "score" in response.json())


class PasskeySignIn(Place):
    """A passkey alone; a wrong attempt is a key nobody registered."""

    action, allowed, json = "passkey_login", 400, True

    def arrange(self, scene):
        scene.passkey = add_passkey(scene.user)[1]

    def attempt(self, scene, ip, *, right):
        client = Client(REMOTE_ADDR=ip, HTTP_HOST="localhost")
        options = client.post("/accounts/passkey/options/", "{}", content_type="application/json")
        key = scene.passkey if right else SoftKey()
        body = json.dumps({"credential": key.get(options.json())})
        response = client.post("/accounts/passkey/", body, content_type="application/json")
        return Attempt(response, signed_in(client))


class DismissBrowserNotice(Place):
    """Hiding the "update your browser" banner: anyone may, and each answer sets a cookie."""

    action, allowed = "dismiss_notice", 302

    def attempt(self, scene, ip, *, right):
        response = Client(REMOTE_ADDR=ip).post("/browser-notice/dismiss/", {"next": "/"})
        return Attempt(response, BROWSER_NOTICE_COOKIE in response.cookies)


def start_reset(client, email):
    return client.post("/password/reset/", {"email": email})


def reset_gates_passed(client) -> int:
    return client.session.get("password.reset", {}).get("gates_passed", 0)


PLACES = [
    SignInPage(),
    WrongPasswords(),
    SecondStepSend(),
    SecondStepSendTo(),
    SecondStepCode(),
    AppPasswordApi(),
    ResetQuestions(),
    SecondStepRecoveryCode(),
    TemporaryPassPage(),
    ChangePassword(),
    ReverifyWithPassword(),
    ResetStart(),
    ResetSend(),
    ResetCode(),
    ResetNewPassword(),
    StrengthCheck(),
    PasskeySignIn(),
    DismissBrowserNotice(),
]
PROTECTING_BY_ADDRESS = (
    "check_code",
    "check_app_password",
    "check_recovery_code",
    "check_temporary_pass",
    "reset_start",
    "reset_finish",
)
PROTECTING_BY_SIDE = (
    "send_code",
    "send_code_to",
    "reset_send",
    "reset_check",
    "check_security_answers",
)
NOT_AN_ACCOUNTS_OWN = (
    "login",  # floods, per address only
    "login_failed",  # per address only: the smart lockout protects each account
    "check_current_password",  # only the signed-in user reaches it
    "strength_check",  # signed in, and it checks nothing of the account
    "passkey_login",  # per address only: a passkey names its account itself
    "dismiss_notice",  # anyone's, and it touches no account
)


def spec(rate: Rate) -> str:
    return f"{rate.amount}/{rate.seconds}s/{rate.scope}"


def every_rate() -> list:
    return [
        pytest.param(place, rate, id=f"{place}-{place.action}-{spec(rate)}")
        for place in PLACES
        for rate in ratelimits.rates(place.action)
    ]


def only(settings, action: str, rates: str) -> None:
    """Let every other limit through, so that the one under test is the one that trips."""
    settings.RATE_LIMITS = dict.fromkeys(django_settings.RATE_LIMITS, GENEROUS) | {action: rates}


def assert_refused(response, rate: Rate, *, as_json: bool) -> None:
    """The kernel's one answer (portal.middleware.RateLimitMiddleware)."""
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= rate.seconds
    if as_json:
        body = response.json()
        assert body["error"] == "rate_limited"
        assert body["retry_after"] == int(response["Retry-After"])
    else:
        assert "Too many attempts" in response.content.decode()


# Every action has its place in the table ----------------------------------------------------


def test_every_rate_limited_action_has_a_row_in_the_table():
    tested = {place.action for place in PLACES}
    assert set(django_settings.RATE_LIMITS) - tested == set(), "add a Place for it"
    assert tested - set(django_settings.RATE_LIMITS) == set(), "no such action any more"


def test_every_action_says_whether_it_protects_an_account():
    kinds = [PROTECTING_BY_ADDRESS, PROTECTING_BY_SIDE, NOT_AN_ACCOUNTS_OWN]
    assert sorted(action for kind in kinds for action in kind) == sorted(
        django_settings.RATE_LIMITS
    )


# The thresholds -----------------------------------------------------------------------------


@pytest.mark.parametrize(("place", "rate"), every_rate())
def test_exactly_the_configured_attempts_pass_and_the_next_changes_nothing(
    place, rate, scene, settings
):
    only(settings, place.action, spec(rate))
    place.arrange(scene)
    for _n in range(rate.amount):
        assert place.attempt(scene, STRANGER, right=False).response.status_code == place.allowed
    limited = place.attempt(scene, STRANGER, right=True)
    assert_refused(limited.response, rate, as_json=place.json)
    assert not limited.went_through

    ratelimits.reset_all()  # the limit alone stood in the way
    assert place.attempt(scene, STRANGER, right=True).went_through


# A stranger cannot use up the owner's attempts ----------------------------------------------


def protecting_rate(action: str) -> Rate:
    """The rate a stranger meets first: the one keyed on the account (or the address typed)."""
    rates = ratelimits.rates(action)
    keyed = min((rate for rate in rates if rate.scope != "ip"), key=lambda rate: rate.amount)
    assert all(keyed.amount < rate.amount for rate in rates if rate.scope == "ip")
    return keyed


def places_for(actions):
    return [pytest.param(p, id=f"{p}-{p.action}") for p in PLACES if p.action in actions]


def use_up(place, scene, settings) -> Rate:
    """Spend, from the stranger's address, every attempt the account's rate allows."""
    only(settings, place.action, django_settings.RATE_LIMITS[place.action])
    place.arrange(scene)
    rate = protecting_rate(place.action)
    for _n in range(rate.amount):
        assert place.attempt(scene, STRANGER, right=False).response.status_code == place.allowed
    assert place.attempt(scene, STRANGER, right=False).response.status_code == 429
    return rate


@pytest.mark.parametrize("place", places_for(PROTECTING_BY_ADDRESS))
def test_guesses_from_one_address_leave_the_owner_elsewhere_alone(place, scene, settings):
    use_up(place, scene, settings)
    owner = place.attempt(scene, ELSEWHERE, right=True)
    assert owner.response.status_code != 429
    assert owner.went_through


@pytest.mark.parametrize("place", places_for(PROTECTING_BY_SIDE))
def test_attempts_from_elsewhere_leave_the_owner_at_a_familiar_place_alone(place, scene, settings):
    signed_in_last_week(scene.user, FAMILIAR)
    use_up(place, scene, settings)
    owner = place.attempt(scene, FAMILIAR, right=True)
    assert owner.response.status_code != 429
    assert owner.went_through
    # What the side split promises and no more: everywhere else is one side of the account.
    assert place.attempt(scene, ELSEWHERE, right=False).response.status_code == 429


@pytest.mark.parametrize(
    "place",
    places_for(("check_app_password", "check_temporary_pass", "reset_start", "reset_send")),
)
def test_an_address_typed_another_way_counts_for_the_same_account(place, scene, settings):
    scene.vary_case = True
    use_up(place, scene, settings)

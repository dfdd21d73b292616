"""Nothing an anonymous visitor sees tells whether an address has an account, or what methods.

Every step anyone can take before signing in is walked for a real account with methods, a
real account without any, and addresses nobody has, at the organization's primary domain, at
one of its additional domains, and at no organization's domain. What comes back (status,
where it sends you, the page or JSON with the address and the per-response secrets taken out,
the form errors) is the same for every address at domains of the same organization. Sending a
reset code takes as long for every address, however long the provider takes.
"""

import base64
import html
import json
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import AuthenticationPolicy, Domain, Organization, PasswordPolicy
from portal import crypto, ratelimits
from portal.delivery import ConsoleSender
from security_info.app_passwords.passwords import DIGEST_PURPOSE, generate, normalize
from security_info.models import (
    AppPassword,
    Method,
    SecurityAnswer,
    SecurityQuestion,
    TemporaryAccessPass,
)
from security_info.security_questions.answers import hash_answer
from tests.fakes.webauthn import SoftKey
from tests.security_info.conftest import add_authenticator, add_passkey, add_phone

RESET, CHOOSE, CODE = "/password/reset/", "/password/reset/verify/", "/password/reset/code/"
QUESTIONS, NEW = "/password/reset/questions/", "/password/reset/new/"
ADDITIONAL_DOMAIN = "northwind-traders.example"
SENT_CODE = "314159"  # every code sent in this module; the wrong ones typed are never it
LOCKED = "Your account is temporarily locked"
# Different in every response: the CSRF token and the CSP nonce.
SECRETS = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"')
# How a phone's number ends: real where the account has the phone, else made up for the address.
HINT = re.compile(r"(?<=ending in )\d\d\b")


@pytest.fixture(autouse=True)
def _known_codes(monkeypatch):
    """Every code sent is SENT_CODE, so that the wrong one typed is wrong for every address."""
    monkeypatch.setattr(crypto, "random_code", lambda digits=6: SENT_CODE)


@pytest.fixture
def people(alice, bob, charlie, northwind) -> dict[str, list[str]]:
    """The addresses to compare, by the organization whose domain they are at.

    Alice has every method; Bob none; the "nobody" addresses no account. Charlie's address is
    at no organization's domain. Northwind's policies differ from the defaults, so that its
    additional domain is seen to get them too.
    """
    AuthenticationPolicy.objects.create(
        organization=northwind, reset_gates=2, allow_app_passwords=True
    )
    PasswordPolicy.objects.create(organization=northwind, lockout_threshold=5)
    Domain.objects.create(organization=northwind, name=ADDITIONAL_DOMAIN)
    add_phone(alice, "+447400123456")
    add_authenticator(alice)
    Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email="alice@home.example")
    for question in SecurityQuestion.objects.filter(is_active=True)[:4]:
        SecurityAnswer.objects.create(user=alice, question=question, answer_hash=hash_answer("x"))
    TemporaryAccessPass.objects.create(
        user=alice,
        digest=crypto.digest("abcdefghjkmn", "temporary_pass"),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    AppPassword.objects.create(
        user=alice, name="Mail", digest=crypto.digest(normalize(generate()), DIGEST_PURPOSE)
    )
    add_phone(charlie, "+447400654321")
    return {
        "Northwind": [
            alice.email,
            bob.email,
            "nobody@northwind.example",
            f"nobody@{ADDITIONAL_DOMAIN}",
        ],
        "no organization": [charlie.email, "nobody@nowhere.example"],
    }


def seen(response, email: str) -> tuple:
    """What the visitor sees, with the address and the per-response secrets taken out."""
    body = SECRETS.sub("", html.unescape(response.content.decode())).replace(email, "EMAIL")
    body = HINT.sub("NN", body)  # alike in shape; test_the_list_of_choices_* compares the rest
    form = response.context.get("form") if response.context else None
    errors = form.errors.get_json_data() if form is not None else None
    headers = [response.get(name) for name in ("WWW-Authenticate", "Retry-After")]
    return response.status_code, response.get("Location"), body, errors, headers


def walked_alike(addresses: list[str], walk) -> list[tuple]:
    """Walk the steps for every address, each from its own place; return what the first saw
    after checking that every other saw the same, step by step."""
    walks = []
    for n, email in enumerate(addresses, start=1):
        ratelimits.reset_all()  # no address meets the counts of the one before
        client = Client(REMOTE_ADDR=f"198.51.100.{n}")
        walks.append([seen(response, email) for response in walk(client, email)])
    first = walks[0]
    for email, other in zip(addresses[1:], walks[1:], strict=True):
        assert len(other) == len(first)
        for step, (expected, got) in enumerate(zip(first, other, strict=True)):
            assert got == expected, f"step {step}: {email} sees other than {addresses[0]}"
    return first


def status(step: tuple) -> int:
    return step[0]


def page(step: tuple) -> str:
    return step[2]


# Signing in with a password -----------------------------------------------------------------


def wrong_passwords(client, email):
    return [
        client.post("/accounts/login/", {"login": email, "password": "not the password"})
        for _attempt in range(11)
    ]


@pytest.mark.parametrize(("organization", "threshold"), [("Northwind", 5), ("no organization", 10)])
def test_wrong_passwords_and_the_lockout_look_alike(people, organization, threshold):
    steps = walked_alike(people[organization], wrong_passwords)
    assert [status(step) for step in steps] == [200] * 11
    locked = [LOCKED in page(step) for step in steps]
    # The wrong password at the threshold locks, for every address; so is the eleventh.
    assert locked == [False] * (threshold - 1) + [True] * (12 - threshold)


# Self-service password reset ----------------------------------------------------------------


def reset_walk(time_machine):
    """Every step of a reset an outsider can take, down to sending too often."""
    return lambda client, email: _reset_steps(client, email, time_machine)


def _reset_steps(client, email, time_machine):
    def wait_for_another_code():
        time_machine.shift(timedelta(seconds=31))
        return client.get(CODE)

    def choose(option):
        return client.post(CHOOSE, {"option": option})

    def code(typed="000000"):
        return client.post(CODE, {"code": typed})

    return [
        client.get(RESET),
        client.post(RESET, {"email": email}),
        client.get(CHOOSE),
        choose("security_questions"),  # never offered at the first gate
        client.get(QUESTIONS),
        choose("mobile_text"),
        client.get(CODE),
        choose("mobile_call"),  # the same kind of method: a new code waits half a minute
        *[code() for _wrong in range(6)],  # the fifth and sixth: too many wrong codes
        wait_for_another_code(),
        choose("email"),
        code(),
        choose("authenticator"),
        code(),
        client.get(NEW),
        client.post(RESET, {"email": email}),
        choose("mobile_text"),  # the third send in a quarter of an hour
        client.post(RESET, {"email": email}),
        choose("mobile_text"),  # the fourth: refused
    ]


def test_every_step_of_a_reset_looks_alike(people, time_machine):
    time_machine.move_to(timezone.now(), tick=True)
    northwind = walked_alike(people["Northwind"], reset_walk(time_machine))
    assert [(status(step), step[1]) for step in northwind] == [
        (200, None),
        (302, CHOOSE),
        (200, None),
        (200, None),
        (302, CHOOSE),
        (302, CODE),
        (200, None),
        (200, None),
        *[(200, None)] * 6,
        (200, None),
        (302, CODE),
        (200, None),
        (302, CODE),
        (200, None),
        (302, CHOOSE),
        (302, CHOOSE),
        (302, CODE),
        (302, CHOOSE),
        (429, None),
    ]
    assert "Verification step 1 of 2" in page(northwind[2])
    assert "Answer my security questions" not in page(northwind[2])
    assert "Choose one of the listed methods." in page(northwind[3])
    assert "We are texting a code to the mobile phone ending in NN." in page(northwind[6])
    assert "A code was just sent" in page(northwind[7])
    assert "That code is not right" in page(northwind[8])
    assert "Too many wrong codes" in page(northwind[12])
    assert "Too many wrong codes" in page(northwind[13])
    assert "That code is not right" in page(northwind[16])
    assert "Too many attempts" in page(northwind[-1])

    elsewhere = walked_alike(people["no organization"], reset_walk(time_machine))
    assert "Verification step 1 of 1" in page(elsewhere[2])  # the default policy


# The choices on the reset's list, as the page shows them: (value, label, hint).
CHOICE = re.compile(
    r'<label class="choice"><input type="radio" name="option" value="([^"]+)"[^>]*>'
    r'<span class="choice__text"><span class="choice__label">([^<]*)</span>'
    r'(?:<span class="choice__hint">([^<]*)</span>)?'
)


def listed_choices(client, email) -> list[tuple[str, str, str]]:
    client.post(RESET, {"email": email})
    return CHOICE.findall(html.unescape(client.get(CHOOSE).content.decode()))


def test_the_list_of_choices_has_the_same_shape_for_every_address(people):
    """Alice has a mobile phone, Bob nothing, the others no account: each phone choice says how
    a number ends, and nothing else differs."""
    for organization, addresses in people.items():
        shapes = []
        for n, email in enumerate(addresses, start=1):
            ratelimits.reset_all()
            listed = listed_choices(Client(REMOTE_ADDR=f"198.51.100.{n}"), email)
            assert listed, organization
            for _value, _label, hint in listed:
                assert "ending in" not in hint or HINT.search(hint), hint
            shapes.append([(value, label, HINT.sub("NN", hint)) for value, label, hint in listed])
        assert all(shape == shapes[0] for shape in shapes), organization
    assert [value for value, _label, _hint in shapes[0]] == [
        "email",
        "mobile_text",
        "mobile_call",
        "office_call",
        "authenticator",
    ]
    assert ("mobile_text", "Text my mobile phone", "The phone ending in NN") in (shapes[0])


def test_the_hints_are_the_same_on_every_visit(people):
    for n, email in enumerate(people["Northwind"], start=1):
        ratelimits.reset_all()
        first = listed_choices(Client(REMOTE_ADDR=f"198.51.100.{n}"), email)
        again = listed_choices(Client(REMOTE_ADDR=f"203.0.113.{n}"), email)
        assert first == again, email


def test_a_registered_phone_shows_its_own_last_digits(people, alice):
    hints = {value: hint for value, _label, hint in listed_choices(Client(), alice.email)}
    assert hints["mobile_text"] == "The phone ending in 56"  # +447400123456
    assert hints["mobile_call"] == "The phone ending in 56"
    assert hints["email"] == "The personal address in your security info"


def test_a_missing_phone_gets_the_hint_an_unknown_address_would(people, alice, bob):
    """Alice has no office phone: her office hint is the one her address would get if it had
    no account at all, so it says nothing about the account."""
    office = {v: h for v, _l, h in listed_choices(Client(), alice.email)}["office_call"]
    alice.delete()
    ratelimits.reset_all()
    unknown = {v: h for v, _l, h in listed_choices(Client(), alice.email)}
    assert unknown["office_call"] == office
    assert HINT.search(unknown["mobile_text"])


def test_the_list_costs_the_same_queries_for_every_address(people):
    counts = []
    for email in people["Northwind"]:
        ratelimits.reset_all()
        client = Client()
        client.post(RESET, {"email": email})
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CHOOSE).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1


def test_a_day_of_reset_codes_looks_alike(people, time_machine, monkeypatch):
    """The number's own daily limit (send_code_to) is met only by an address with the method:
    past it, the reset sends nothing, as for any other address, and says so to nobody."""
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False)
    assert "10/d/key" in django_settings.RATE_LIMITS["send_code_to"]
    texts = []  # the outbox keeps them an hour; this day is longer
    monkeypatch.setattr(ConsoleSender, "send_text", lambda _sender, to, body: texts.append(to))

    def a_day_of_sends(client, email):
        responses = []
        for round_ in range(4):  # three sends a quarter of an hour, from a new place each time
            time_machine.shift(16 * 60)
            client.defaults["REMOTE_ADDR"] = f"203.0.113.{round_ + 1}"
            for _send in range(3):
                client.post(RESET, {"email": email})
                responses.append(client.post(CHOOSE, {"option": "mobile_text"}))
        responses.append(client.post(CODE, {"code": "000000"}))
        return responses

    steps = walked_alike(people["Northwind"], a_day_of_sends)
    assert [status(step) for step in steps] == [302] * 12 + [200]
    assert "That code is not right" in page(steps[-1])
    assert texts == ["+447400123456"] * 10  # Alice's phone got the ten its limit allows


# Temporary Access Pass, app passwords and passkeys ------------------------------------------


def wrong_pass(client, email):
    return [
        client.get("/accounts/temporary-pass/"),
        client.post("/accounts/temporary-pass/", {"email": email, "code": "zzzz-zzzz-zzzz"}),
    ]


def test_a_wrong_temporary_pass_looks_alike(people):
    for addresses in people.values():
        steps = walked_alike(addresses, wrong_pass)
        assert "That pass didn't work" in page(steps[1])


def wrong_app_password(client, email):
    token = base64.b64encode(f"{email}:{generate()}".encode()).decode()
    return [client.get("/api/me", HTTP_AUTHORIZATION=f"Basic {token}")]


def test_a_wrong_app_password_looks_alike(people):
    for addresses in people.values():
        [answer] = walked_alike(addresses, wrong_app_password)
        assert status(answer) == 401
        assert json.loads(page(answer))["error"] == "unauthorized"


def test_a_passkey_sign_in_begins_without_naming_anyone(client, alice):
    add_passkey(alice)
    options = client.post("/accounts/passkey/options/", "{}", content_type="application/json")
    public_key = options.json()["publicKey"]
    assert public_key.get("allowCredentials", []) == []
    assert public_key["userVerification"] == "required"


def test_a_registered_passkey_signed_wrongly_looks_like_an_unknown_one(client, alice):
    client.defaults["HTTP_HOST"] = "localhost"
    _method, impostor = add_passkey(alice)
    impostor.private_key = ec.generate_private_key(ec.SECP256R1())  # Alice's id, another key
    answers = []
    for key in (SoftKey(), impostor):
        options = client.post("/accounts/passkey/options/", "{}", content_type="application/json")
        body = json.dumps({"credential": key.get(options.json())})
        response = client.post("/accounts/passkey/", body, content_type="application/json")
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 400


# Timing -------------------------------------------------------------------------------------

RUNS = 15
PROVIDER_SECONDS = 0.05  # a provider's answer, well within RESET_SEND_SECONDS
TOLERANCE = 0.015


def median_send_seconds(addresses: list[str]) -> dict[str, float]:
    """The median time the "choose a method" POST takes for each address, runs interleaved."""
    times: dict[str, list[float]] = {email: [] for email in addresses}
    for run in range(RUNS):
        for n, email in enumerate(addresses, start=1):
            client = Client(REMOTE_ADDR=f"198.51.{n}.{run + 1}")
            client.post(RESET, {"email": email})
            started = time.perf_counter()
            response = client.post(CHOOSE, {"option": "mobile_text"})
            times[email].append(time.perf_counter() - started)
            assert response.status_code == 302
    return {email: statistics.median(seconds) for email, seconds in times.items()}


@pytest.fixture
def slow_provider(monkeypatch):
    """A phone provider that takes PROVIDER_SECONDS to take a text, as a real one does."""
    send_text = ConsoleSender.send_text

    def slow_send_text(self, to, body):
        time.sleep(PROVIDER_SECONDS)
        send_text(self, to, body)

    monkeypatch.setattr(ConsoleSender, "send_text", slow_send_text)


def test_sending_a_reset_code_takes_as_long_for_every_address(alice, settings, slow_provider):
    add_phone(alice, "+447400123456")
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "100000/s/ip")
    addresses = [alice.email, "nobody@northwind.example"]

    settings.RESET_SEND_SECONDS = 0
    real, unknown = median_send_seconds(addresses).values()
    assert real - unknown > TOLERANCE  # without the floor, the time tells

    settings.RESET_SEND_SECONDS = 0.2
    real, unknown = median_send_seconds(addresses).values()
    assert abs(real - unknown) < TOLERANCE
    assert unknown >= 0.2


def test_the_lockout_follows_the_addresss_domain_not_the_account(people, charlie):
    """Charlie's organization locks after 5, but his address is not at its domain: he locks
    when an unknown address there would, after 10."""
    tailspin = Organization.objects.get(memberships__user=charlie)
    PasswordPolicy.objects.create(organization=tailspin, lockout_threshold=5)
    steps = walked_alike([charlie.email, "nobody@tailspin.example"], wrong_passwords)
    assert [LOCKED in page(step) for step in steps] == [False] * 9 + [True] * 2


def sends_to_one_number_twice(client, email):
    return [
        client.post("/password/reset/", {"email": email}),
        client.post("/password/reset/verify/", {"option": "mobile_text"}),
        client.post("/password/reset/verify/", {"option": "office_call"}),
    ]


def test_two_methods_with_one_number_look_like_any_other_address(people, alice):
    """The second send within the cooldown is refused alike, whichever method it is for."""
    add_phone(alice, "+447400123456", kind=Method.Kind.OFFICE_PHONE)
    steps = walked_alike([alice.email, "nobody@northwind.example"], sends_to_one_number_twice)
    assert "A code was just sent" in page(steps[2])

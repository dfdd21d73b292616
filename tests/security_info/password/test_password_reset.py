"""Self-service password reset: the address, one or two verification gates, a new password."""

import html
import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import AuthenticationPolicy, Domain, Organization
from portal.delivery import recent_outbox
from security_info.models import Method, SecurityAnswer, SecurityQuestion
from security_info.password import reset
from security_info.password.models import Lockout
from security_info.security_questions.answers import hash_answer
from signins.models import SecurityEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, add_phone

RESET_URL = "/password/reset/"
CHOOSE_URL = "/password/reset/verify/"
CODE_URL = "/password/reset/code/"
QUESTIONS_URL = "/password/reset/questions/"
NEW_URL = "/password/reset/new/"
DONE_URL = "/password/reset/done/"
CANCEL_URL = "/password/reset/cancel/"
ALICE = "alice@northwind.example"
NOBODY = "nobody@northwind.example"
MOBILE = "+447400123456"
OFFICE = "+442079460000"
ALTERNATE_EMAIL = "alice.home@example.com"
NEW_PASSWORD = "a brand new passphrase 42"
HELPDESK = "https://help.northwind.example/"


def start(client, email=ALICE):
    return client.post(RESET_URL, {"email": email})


def choose(client, option):
    return client.post(CHOOSE_URL, {"option": option})


def submit_code(client, code):
    return client.post(CODE_URL, {"code": code})


def set_new_password(client, password=NEW_PASSWORD, confirm=None):
    return client.post(NEW_URL, {"new_password1": password, "new_password2": confirm or password})


def phone_code() -> str:
    """The code in the newest text or call ("1 2 3 4 5 6" when read out in a call)."""
    return "".join(re.findall(r"\d", recent_outbox()[0]["body"]))


def mailed_code() -> str:
    return re.search(r"\b\d{6}\b", mail.outbox[-1].body)[0]


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def page(response) -> str:
    return html.unescape(response.content.decode())


def answer_questions(user, count=4) -> dict[int, str]:
    """Register answers to the first `count` questions of the pool; return {question id: answer}."""
    answers = {}
    for n, question in enumerate(SecurityQuestion.objects.filter(is_active=True)[:count]):
        answers[question.pk] = f"Answer number {n}"
        SecurityAnswer.objects.create(
            user=user,
            question=question,
            answer_hash=hash_answer(answers[question.pk]),
        )
    return answers


def answer_asked(client, answers: dict[int, str], fallback="nothing I know"):
    form = client.get(QUESTIONS_URL).context["form"]
    data = {f"answer_{n}": answers.get(q.pk, fallback) for n, q in enumerate(form.questions, 1)}
    return client.post(QUESTIONS_URL, data)


def two_gates(organization):
    AuthenticationPolicy.objects.update_or_create(
        organization=organization, defaults={"reset_gates": 2}
    )


def pass_email_gate(client, user):
    """Start a reset for the user and pass its first gate with a mailed code."""
    Method.objects.get_or_create(user=user, kind=Method.Kind.EMAIL, email=f"home.{user.email}")
    start(client, user.email)
    choose(client, "email")
    return submit_code(client, mailed_code())


def register(user, option):
    """Register what the option needs; return how to pass its gate with the test client."""
    if option == "email":
        Method.objects.create(user=user, kind=Method.Kind.EMAIL, email=ALTERNATE_EMAIL)
        return lambda client: submit_code(client, mailed_code())
    if option in ("mobile_text", "mobile_call"):
        add_phone(user, MOBILE)
        return lambda client: submit_code(client, phone_code())
    if option == "office_call":
        add_phone(user, OFFICE, kind=Method.Kind.OFFICE_PHONE, extension="1234")
        return lambda client: submit_code(client, phone_code())
    if option == "authenticator":
        _method, generator = add_authenticator(user)
        return lambda client: submit_code(client, generator.now())
    answers = answer_questions(user)
    return lambda client: answer_asked(client, answers)


# The whole flow, over each method ----------------------------------------------------------


def test_the_sign_in_page_links_to_the_reset(client, db):
    assert f'href="{RESET_URL}"' in page(client.get("/accounts/login/"))


@pytest.mark.parametrize(
    "option",
    ["email", "mobile_text", "mobile_call", "office_call", "authenticator"],
)
def test_one_verification_resets_the_password(client, alice, option):
    prove = register(alice, option)

    assert start(client).url == CHOOSE_URL
    assert "Verification step 1 of 1" in page(client.get(CHOOSE_URL))
    assert choose(client, option).url == CODE_URL
    assert prove(client).url == NEW_URL
    assert set_new_password(client).url == DONE_URL

    assert "Your password has been reset" in page(client.get(DONE_URL))
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert not alice.check_password(PASSWORD)


def test_the_call_to_an_office_phone_dials_its_extension(client, alice):
    register(alice, "office_call")
    start(client)
    choose(client, "office_call")
    [call] = recent_outbox()
    assert call["channel"] == "call"
    assert call["to"] == f"{OFFICE} ext. 1234"


@pytest.mark.parametrize("gates", [1, 2])
def test_security_questions_are_never_the_first_gate(client, alice, northwind, gates):
    AuthenticationPolicy.objects.create(organization=northwind, reset_gates=gates)
    answer_questions(alice)
    for email in (ALICE, NOBODY):
        start(client, email)
        assert "Answer my security questions" not in page(client.get(CHOOSE_URL))
        refused = choose(client, "security_questions")
        assert refused.status_code == 200
        assert "Choose one of the listed methods." in page(refused)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_security_questions_can_be_the_second_gate(client, alice, northwind):
    two_gates(northwind)
    answers = answer_questions(alice)
    assert pass_email_gate(client, alice).url == CHOOSE_URL
    assert "Answer my security questions" in page(client.get(CHOOSE_URL))
    assert choose(client, "security_questions").url == QUESTIONS_URL
    assert answer_asked(client, answers).url == NEW_URL
    assert set_new_password(client).url == DONE_URL


def test_two_verifications_need_two_different_methods(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, reset_gates=2)
    add_phone(alice, MOBILE)
    _app, generator = add_authenticator(alice)
    start(client)
    choose(client, "mobile_text")
    assert submit_code(client, phone_code()).url == CHOOSE_URL

    step_two = page(client.get(CHOOSE_URL))
    assert "Verification step 2 of 2" in step_two
    assert "Text my mobile phone" not in step_two
    assert "Call my mobile phone" not in step_two  # the same phone, however the code comes
    assert client.get(NEW_URL).url == CHOOSE_URL
    refused = choose(client, "mobile_call")
    assert refused.status_code == 200
    assert "Choose one of the listed methods." in page(refused)
    assert len(recent_outbox()) == 1  # no second code to the phone

    choose(client, "authenticator")
    assert submit_code(client, generator.now()).url == NEW_URL
    assert set_new_password(client).url == DONE_URL
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_the_new_password_must_follow_the_policy(client, alice):
    prove = register(alice, "mobile_text")
    start(client)
    choose(client, "mobile_text")
    prove(client)
    html = page(client.get(NEW_URL))
    assert "At least 12 characters" in html

    too_short = set_new_password(client, "Short1!")
    assert too_short.status_code == 200
    assert "Use at least 12 characters." in page(too_short)
    mismatch = set_new_password(client, NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert "didn’t match" in page(mismatch)
    same_as_before = set_new_password(client, PASSWORD)
    assert "You used this password before" in page(same_as_before)

    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_after_a_reset_every_session_ends_and_the_account_is_unlocked(
    client, alice, django_capture_on_commit_callbacks
):
    Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email=ALTERNATE_EMAIL)
    add_phone(alice, MOBILE)
    Lockout.objects.create(
        user=alice, familiar=False, failures=10, streak=1, locked_until=timezone.now()
    )
    elsewhere = Client()
    elsewhere.force_login(alice)
    assert elsewhere.get("/").status_code == 200

    start(client)
    choose(client, "mobile_text")
    submit_code(client, phone_code())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        set_new_password(client)

    assert elsewhere.get("/").url == "/accounts/login/?next=/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert not Lockout.objects.filter(user=alice).exists()
    [event] = SecurityEvent.objects.filter(user=alice)
    assert event.kind == SecurityEvent.Kind.PASSWORD_RESET
    assert sorted(m.to[0] for m in mail.outbox) == [ALTERNATE_EMAIL, ALICE]
    confirmation = mail.outbox[0]
    assert confirmation.subject == "[My Account] Your password was reset"
    assert "127.0.0.1" in confirmation.body
    assert "If it wasn't you" in confirmation.body
    assert HELPDESK in confirmation.body


def test_a_signed_in_browser_can_reset_and_is_signed_out(alice_client, alice):
    add_phone(alice, MOBILE)
    start(alice_client)
    choose(alice_client, "mobile_text")
    submit_code(alice_client, phone_code())
    assert set_new_password(alice_client).url == DONE_URL
    assert SESSION_KEY not in alice_client.session
    assert alice_client.get(DONE_URL).status_code == 200
    assert alice_client.get("/").url.startswith("/accounts/login/")


def test_a_code_works_once(client, alice, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, reset_gates=2)
    add_phone(alice, MOBILE)
    Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email=ALTERNATE_EMAIL)
    start(client)
    choose(client, "mobile_text")
    code = phone_code()
    submit_code(client, code)
    choose(client, "email")
    reused = submit_code(client, code)
    assert "That code is not right" in page(reused)


def test_an_authenticator_code_cannot_be_replayed(client, alice):
    _app, generator = add_authenticator(alice)
    add_phone(alice, MOBILE)
    code = generator.now()
    start(client)
    choose(client, "authenticator")
    submit_code(client, code)
    other = Client()
    start(other)
    choose(other, "authenticator")
    assert "already used" in page(submit_code(other, code))


# Nothing tells an outsider whether an account exists --------------------------------------


# How a phone's number ends, real or made up for the address (see test_reset_hints below).
HINT = re.compile(r"(?<=ending in )\d\d\b")


def _normalised(response, email: str) -> tuple:
    # Only the per-response secrets differ, the CSRF token and the CSP nonce, and the hints.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"', "", page(response))
    html = HINT.sub("NN", html)
    return response.status_code, response.get("Location"), html.replace(email, "EMAIL")


def _walk_to_the_code(client, email: str, codes) -> list[tuple]:
    steps = [client.get(RESET_URL), start(client, email)]
    steps += [client.get(CHOOSE_URL), choose(client, "mobile_text"), client.get(CODE_URL)]
    steps += [submit_code(client, code()) for code in codes]
    return [_normalised(response, email) for response in steps]


def test_unknown_and_methodless_accounts_look_like_real_ones(alice, bob):
    add_phone(alice, MOBILE)
    # Five wrong codes, then the one alice's phone got: by then every attempt is over.
    codes = [lambda: wrong(phone_code())] * 5 + [phone_code]

    real = _walk_to_the_code(Client(), ALICE, codes)
    unknown = _walk_to_the_code(Client(), NOBODY, codes)
    methodless = _walk_to_the_code(Client(), bob.email, codes)

    assert len(recent_outbox()) == 1  # only alice's phone got a text
    assert real == unknown == methodless
    statuses = [(status, location) for status, location, _html in real]
    assert statuses == [
        (200, None),
        (302, CHOOSE_URL),
        (200, None),
        (302, CODE_URL),
        (200, None),
        *[(200, None)] * 6,
    ]
    assert HELPDESK in real[2][2]  # "Contact your organization's helpdesk", for everyone
    assert "We are texting a code to the mobile phone ending in NN." in real[4][2]
    assert "That code is not right" in real[5][2]
    assert "Too many wrong codes" in real[9][2]
    assert "Too many wrong codes" in real[10][2]


def test_the_code_page_rejects_every_code_for_an_unknown_address(client, alice):
    start(client, NOBODY)
    choose(client, "email")
    assert mail.outbox == []
    for code in ["123456", "000000", "999999", "654321"]:
        assert "That code is not right" in page(submit_code(client, code))
    choose(client, "authenticator")
    assert "That code is not right" in page(submit_code(client, "123456"))
    assert client.get(NEW_URL).url == CHOOSE_URL


def test_known_and_unknown_addresses_cost_the_same_queries(alice):
    counts = []
    for email in (ALICE, NOBODY):
        with CaptureQueriesContext(connection) as queries:
            start(Client(), email)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_an_account_is_asked_its_own_questions_the_same_way_every_time(client, alice, northwind):
    two_gates(northwind)
    answers = answer_questions(alice, count=5)
    asked = []
    for _attempt in range(2):
        pass_email_gate(client, alice)
        choose(client, "security_questions")
        asked.append([q.pk for q in client.get(QUESTIONS_URL).context["form"].questions])
    assert asked[0] == asked[1]
    assert set(asked[0]) <= set(answers)

    wrong_answers = dict.fromkeys(answers, "wrong answer")
    assert "Your answers didn't match" in page(answer_asked(client, wrong_answers))
    assert answer_asked(client, answers).url == NEW_URL


def test_wrong_answers_cost_the_same_hashing_with_or_without_answers(
    client, alice, bob, northwind, monkeypatch
):
    two_gates(northwind)
    answer_questions(alice)
    hashed = []
    real_encode = MD5PasswordHasher.encode
    monkeypatch.setattr(
        MD5PasswordHasher,
        "encode",
        lambda self, *args, **kwargs: hashed.append(1) or real_encode(self, *args, **kwargs),
    )
    counts = []
    for user in (alice, bob):
        pass_email_gate(client, user)
        choose(client, "security_questions")
        form = client.get(QUESTIONS_URL).context["form"]
        hashed.clear()
        client.post(QUESTIONS_URL, {f"answer_{n}": "wrong" for n in range(1, 4)})
        counts.append(len(hashed))
        assert len(form.questions) == 3
    assert counts == [3, 3]


def test_the_helpdesk_link_comes_from_the_organization_of_the_address(client, alice, charlie):
    start(client, "someone@nowhere.example")
    html = page(client.get(CHOOSE_URL))
    assert "Contact your organization's helpdesk." in html
    assert HELPDESK not in html

    tailspin = Organization.objects.get(memberships__user=charlie)
    tailspin.helpdesk_url = "https://support.tailspin.example/"
    tailspin.save()
    # Not at any of Tailspin's domains yet: Charlie's address gets what an unknown one would.
    start(client, charlie.email)
    assert "https://support.tailspin.example/" not in page(client.get(CHOOSE_URL))
    Domain.objects.create(organization=tailspin, name="tailspin.example")
    for email in (charlie.email, "nobody@tailspin.example"):
        start(client, email)
        assert 'href="https://support.tailspin.example/"' in page(client.get(CHOOSE_URL))


# Rate limits, expiry and abandoning ---------------------------------------------------------


@pytest.mark.parametrize("email", [ALICE, NOBODY])
def test_starting_over_and_over_is_rate_limited(client, alice, settings, email):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reset_start": "2/15m/key"}
    assert start(client, email).status_code == 302
    assert start(client, email).status_code == 302
    assert start(client, email).status_code == 429


@pytest.mark.parametrize("email", [ALICE, NOBODY])
def test_sending_codes_is_rate_limited_alike_for_every_address(
    client, alice, settings, email, time_machine
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reset_send": "1/15m/key"}
    add_phone(alice, MOBILE)
    Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email=ALTERNATE_EMAIL)
    time_machine.move_to(timezone.now(), tick=True)
    start(client, email)
    assert choose(client, "mobile_text").url == CODE_URL
    time_machine.shift(timedelta(seconds=31))  # past the wait before another code

    refused = choose(client, "email")
    assert refused.status_code == 429
    assert "Too many attempts" in page(refused)
    assert mail.outbox == []


@pytest.mark.parametrize("email", [ALICE, NOBODY])
def test_a_new_code_waits_half_a_minute_for_every_address(client, alice, email):
    add_phone(alice, MOBILE)
    start(client, email)
    choose(client, "mobile_text")
    again = choose(client, "mobile_call")  # the same phone
    assert "A code was just sent" in page(again)
    assert len(recent_outbox()) == (1 if email == ALICE else 0)


@pytest.mark.parametrize("email", [ALICE, NOBODY])
def test_checking_codes_is_rate_limited(client, alice, settings, email):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reset_check": "2/15m/key"}
    add_phone(alice, MOBILE)
    start(client, email)
    choose(client, "mobile_text")
    assert submit_code(client, "000000").status_code == 200
    assert submit_code(client, "000000").status_code == 200
    assert submit_code(client, "000000").status_code == 429


def test_answering_questions_is_rate_limited(client, alice, northwind, settings):
    two_gates(northwind)
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "check_security_answers": "1/h/key",
    }
    answers = answer_questions(alice)
    pass_email_gate(client, alice)
    choose(client, "security_questions")
    assert answer_asked(client, {}).status_code == 200
    assert answer_asked(client, answers).status_code == 429
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_five_wrong_app_codes_end_the_reset(client, alice):
    add_authenticator(alice)
    start(client)
    choose(client, "authenticator")
    for _attempt in range(4):
        assert "That code is not right" in page(submit_code(client, "000000"))
    assert submit_code(client, "000000").url == RESET_URL
    assert "Too many wrong codes. Start again." in page(client.get(RESET_URL))
    assert client.get(CODE_URL).url == RESET_URL


def test_an_expired_code_is_refused_and_a_new_one_works(client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    add_phone(alice, MOBILE)
    start(client)
    choose(client, "mobile_text")
    expired = phone_code()
    time_machine.shift(11 * 60)

    assert "This code has expired" in page(submit_code(client, expired))
    assert choose(client, "mobile_text").url == CODE_URL  # "Send a new code"
    assert submit_code(client, phone_code()).url == NEW_URL


def test_a_reset_expires_after_15_minutes(client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    add_phone(alice, MOBILE)
    start(client)
    choose(client, "mobile_text")
    submit_code(client, phone_code())
    time_machine.shift(16 * 60)

    response = set_new_password(client)

    assert response.url == RESET_URL
    assert "took too long" in page(client.get(RESET_URL))
    assert client.get(CHOOSE_URL).url == RESET_URL
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_abandoning_halfway_changes_nothing(client, alice):
    add_phone(alice, MOBILE)
    start(client)
    choose(client, "mobile_text")
    submit_code(client, phone_code())
    assert client.get(NEW_URL).status_code == 200

    assert client.post(CANCEL_URL).url == "/accounts/login/"

    assert client.get(NEW_URL).url == RESET_URL
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not SecurityEvent.objects.exists()


def test_a_step_without_a_reset_goes_back_to_the_start(client, db):
    for url in (CHOOSE_URL, CODE_URL, QUESTIONS_URL, NEW_URL, DONE_URL):
        assert client.get(url).url == RESET_URL
    assert "Enter your email address" in page(client.get(RESET_URL))


def test_the_proof_pages_need_a_chosen_method(client, alice):
    start(client)
    assert client.get(CODE_URL).url == CHOOSE_URL
    assert client.get(QUESTIONS_URL).url == CHOOSE_URL
    assert client.get(NEW_URL).url == CHOOSE_URL


def test_a_new_session_key_is_issued_when_a_reset_starts(client, db):
    client.get(RESET_URL)
    client.session.save()
    before = client.session.session_key
    start(client, NOBODY)
    assert client.session.session_key != before


# Policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", [ALICE, NOBODY])
def test_an_organization_without_self_service_reset_sends_everyone_to_the_helpdesk(
    client, alice, northwind, email
):
    AuthenticationPolicy.objects.create(organization=northwind, reset_enabled=False)
    add_phone(alice, MOBILE)
    start(client, email)
    html = page(client.get(CHOOSE_URL))
    assert "Contact your helpdesk" in html
    assert HELPDESK in html
    assert "Text my mobile phone" not in html
    assert choose(client, "mobile_text").status_code == 200
    assert recent_outbox() == []


def test_only_the_methods_the_policy_allows_are_offered(client, alice, northwind, settings):
    AuthenticationPolicy.objects.create(
        organization=northwind, reset_by_security_questions=False, reset_by_email=False
    )
    start(client)
    html = page(client.get(CHOOSE_URL))
    for offered in ["Text my mobile phone", "Call my office phone", "authenticator app"]:
        assert offered in html
    assert "Answer my security questions" not in html
    assert "Email my alternate email" not in html
    assert "Choose one of the listed methods." in page(choose(client, "email"))

    settings.PHONE_BACKEND = "none"
    html = page(client.get(CHOOSE_URL))
    assert "mobile phone" not in html
    assert "office phone" not in html


def test_an_inactive_account_cannot_reset(client, alice):
    add_phone(alice, MOBILE)
    alice.is_active = False
    alice.save()
    start(client)
    choose(client, "mobile_text")
    assert recent_outbox() == []
    assert "That code is not right" in page(submit_code(client, "123456"))
    assert client.get(NEW_URL).url == CHOOSE_URL


def test_an_account_disabled_during_the_reset_cannot_finish(client, alice):
    add_phone(alice, MOBILE)
    start(client)
    choose(client, "mobile_text")
    submit_code(client, phone_code())
    alice.is_active = False
    alice.save()
    assert set_new_password(client).url == CHOOSE_URL
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_allauths_email_link_reset_is_gone(client, db):
    assert client.get("/password/reset/key/1-abc/").status_code == 404
    assert client.get("/password/reset/key/done/").status_code == 404


def test_a_staff_account_cannot_reset_with_security_questions(client, admin_user, northwind):
    two_gates(northwind)
    answers = answer_questions(admin_user)
    pass_email_gate(client, admin_user)
    choose(client, "security_questions")
    assert "Your answers didn't match" in page(answer_asked(client, answers))


# Query budget -------------------------------------------------------------------------------


def test_each_step_takes_a_known_number_of_queries(client, alice, django_assert_num_queries):
    add_phone(alice, MOBILE)
    steps = [
        (0, lambda: client.get(RESET_URL)),
        # The organization of the address's domain; the new session, inserted once with the
        # response (3 with its savepoints).
        (5, lambda: start(client)),
        (3, lambda: client.get(CHOOSE_URL)),  # and the phones whose number ends the hints
        # Whether the number is blocked after a reported call, the sending, and once whether
        # the address is a familiar one (for the send limits); the delivery's row written,
        # claimed, read, marked sent and read back (inline); the phone's hint for the code
        # page.
        (14, lambda: choose(client, "mobile_text")),
        (2, lambda: client.get(CODE_URL)),
        (8, lambda: submit_code(client, phone_code())),
        (4, lambda: client.get(NEW_URL)),
        (1, lambda: client.get(DONE_URL)),  # (no reset done yet: back to the start)
    ]
    for queries, step in steps:
        with django_assert_num_queries(queries):
            assert step().status_code in (200, 302)
    # The home organization, whose name the password may not hold. Saving writes the history,
    # the user, the lockouts (of passwords and of codes), the event, ends the app passwords
    # (after reading whose cached security info that changes) and makes a new session: 16
    # statements, and 4 savepoints of the two transactions.
    with django_assert_num_queries(20):
        assert set_new_password(client).url == DONE_URL
    with django_assert_num_queries(1):
        assert client.get(DONE_URL).status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_the_questions_page_stays_within_the_query_budget(
    client, alice, northwind, django_assert_max_num_queries
):
    two_gates(northwind)
    answers = answer_questions(alice)
    pass_email_gate(client, alice)
    with django_assert_max_num_queries(12):
        choose(client, "security_questions")
    with django_assert_max_num_queries(12):
        response = answer_asked(client, answers)
    assert response.url == NEW_URL


def test_an_unknown_address_gets_the_policy_of_its_domains_organization(client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, reset_gates=2)
    start(client, NOBODY)
    assert "Verification step 1 of 2" in page(client.get(CHOOSE_URL))


# Strength feedback on the last step ----------------------------------------------------------

STRENGTH_URL = "/password/reset/new/strength/"


def reset_strength(client, password):
    return client.post(STRENGTH_URL, {"password": password}, content_type="application/json")


def test_the_new_password_page_has_the_strength_meter(client, alice):
    passes = register(alice, "email")
    start(client)
    choose(client, "email")
    passes(client)
    body = client.get(NEW_URL).content.decode()
    assert f'data-url="{STRENGTH_URL}"' in body
    assert "security_info/password_strength" in body
    assert "data-current" not in body  # nothing typed to compare with
    # The rules are the field's description, as on the change page, read with it.
    assert 'aria-describedby="id_new_password1_helptext"' in body
    assert "To be hard to guess (rated “Strong” or better)" in html.unescape(body)


def test_the_reset_meter_judges_for_the_verified_account(client, alice):
    passes = register(alice, "email")
    start(client)
    choose(client, "email")
    passes(client)
    named = reset_strength(client, "archeralice").json()
    assert not named["meets_policy"]
    assert any("your name" in problem for problem in named["problems"])
    assert reset_strength(client, "quiet otter borrows seven lanterns").json()["meets_policy"]
    assert reset_strength(client, "[]").status_code == 200  # a password like any other
    bad = client.post(STRENGTH_URL, "[]", content_type="application/json")
    assert bad.status_code == 400


@pytest.mark.parametrize("email", [ALICE, NOBODY])
def test_the_reset_meter_answers_nobody_before_the_gates_are_passed(client, alice, email):
    assert reset_strength(client, "anything").status_code == 403
    register(alice, "email")
    start(client, email)
    choose(client, "email")
    response = reset_strength(client, "anything")
    assert response.status_code == 403
    assert set(response.json()) == {"error"}


def test_the_reset_meter_is_rate_limited(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "strength_check": "2/m/ip"}
    passes = register(alice, "email")
    start(client)
    choose(client, "email")
    passes(client)
    assert reset_strength(client, "one").status_code == 200
    assert reset_strength(client, "two").status_code == 200
    assert reset_strength(client, "three").status_code == 429


# The hints on the list of choices ------------------------------------------------------------


def _state(email, user_id=None) -> reset.ResetState:
    return reset.ResetState(email=email, user_id=user_id, organization_id=None, started_at=0)


def test_made_up_hints_spread_over_every_pair_of_digits(db):
    """Made-up endings must look like real ones, whose last two digits are spread evenly."""
    options = list(reset.OPTIONS)
    endings = [
        reset.hints(_state(f"person{n}@northwind.example"), options)["mobile_text"]
        for n in range(400)
    ]
    assert all(re.fullmatch(r"\d\d", ending) for ending in endings)
    counts = Counter(endings)
    assert len(counts) > 90  # of 100: about 98 expected from 400 draws
    assert max(counts.values()) < 15  # about 4 each
    assert Counter(ending[0] for ending in endings).keys() == set("0123456789")


def test_a_phone_kinds_hints_are_one_per_kind_and_stable(db, alice):
    add_phone(alice, MOBILE)
    options = list(reset.OPTIONS)
    real = reset.hints(_state(ALICE, alice.pk), options)
    assert real["mobile_text"] == real["mobile_call"] == MOBILE[-2:]
    assert set(real) == {"mobile_text", "mobile_call", "office_call"}  # no hint of an address
    assert reset.hints(_state(ALICE, alice.pk), options) == real
    unknown = reset.hints(_state(NOBODY), options)
    assert unknown["mobile_text"] == unknown["mobile_call"]
    assert unknown == reset.hints(_state(NOBODY), options)


def test_the_office_phone_hint_ends_like_the_registered_number(client, alice):
    add_phone(alice, OFFICE, kind=Method.Kind.OFFICE_PHONE, extension="1234")
    start(client)
    assert "The desk phone ending in 00" in page(client.get(CHOOSE_URL))
    choose(client, "office_call")
    assert "We are calling the office phone ending in 00 to read you a code." in page(
        client.get(CODE_URL)
    )


def test_an_inactive_accounts_phone_is_not_hinted(client, alice):
    add_phone(alice, MOBILE)
    alice.is_active = False
    alice.save()
    state = _state(ALICE, alice.pk)
    assert (
        reset.hints(state, list(reset.OPTIONS))["mobile_text"]
        == reset.hints(_state(ALICE), list(reset.OPTIONS))["mobile_text"]
    )


def test_the_list_says_nothing_of_whether_a_method_exists(client, alice):
    start(client)
    body = page(client.get(CHOOSE_URL))
    assert "if there is one" not in body
    assert "Don't recognise any of these? Contact your organization's helpdesk." in body
    assert body.count('class="choice"') == 5

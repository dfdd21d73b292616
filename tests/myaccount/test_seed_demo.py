import io
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from myaccount.management.commands.seed_demo import DEMO_ANSWERS, DEMO_PASSWORDS
from organizations.models import Membership, Organization
from organizations.policies import authentication_policy
from portal.browsers import parse_user_agent
from portal.delivery import recent_outbox
from portal.models import User
from security_info.methods import METHOD_KINDS
from security_info.models import Method
from security_info.phones import numbers
from security_info.phones.forms import PhoneForm
from security_info.phones.kind import Phone
from signins.geo import country_of
from signins.models import SignInEvent
from tests.security_info.conftest import mark_strong_sign_in

EMPLOYEES = ["alice@northwind.example", "bob@northwind.example", "carol@northwind.example"]
ACTIVE_ACCOUNTS = ["admin@northwind.example", *EMPLOYEES]


@pytest.fixture
def debug(settings):
    """The demo runs in development: the test runner turns DEBUG off, so turn it back on."""
    settings.DEBUG = True


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Organization, User, Membership, SignInEvent)
    }


def printed_password(output: str, email: str) -> str:
    [line] = [line for line in output.splitlines() if line.split()[:1] == [email]]
    return line.split()[1]


@pytest.mark.django_db
def test_it_creates_the_demo_accounts_once(debug):
    seed()
    first = counts()
    seed()

    assert counts() == first
    assert first["Organization"] == 2
    assert first["User"] == len(DEMO_PASSWORDS)


@pytest.mark.django_db
def test_a_second_run_writes_nothing(debug):
    seed()

    with CaptureQueriesContext(connection) as queries:
        output = seed()

    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert "nothing changed" in output


@pytest.mark.django_db
def test_it_leaves_an_account_edited_during_the_demo_alone(debug):
    seed()
    User.objects.filter(email="alice@northwind.example").update(job_title="Principal Engineer")

    seed()

    assert User.objects.get(email="alice@northwind.example").job_title == "Principal Engineer"


@pytest.mark.django_db
@pytest.mark.parametrize("email", ACTIVE_ACCOUNTS)
def test_the_demo_users_can_sign_in_with_the_printed_passwords(debug, client, email):
    output = seed()

    response = client.post(
        "/accounts/login/", {"login": email, "password": printed_password(output, email)}
    )

    assert response.status_code == 302
    if email == "bob@northwind.example":  # no method yet: straight in, then the setup wizard
        assert response.url == "/"
        assert client.get("/").url == "/security-info/setup/"
    else:  # the second step, with a code or a call in the development outbox
        assert response.url == "/accounts/verify/"
        sent = recent_outbox()[0]
        if sent["keys_url"]:  # a call that asks to press #, pressed on the outbox page
            client.post(urlsplit(sent["keys_url"]).path, {"Digits": "#", "outbox": "1"})
            assert client.post("/accounts/verify/", {"call": "approved"}).url == "/"
        else:
            code = "".join(filter(str.isdigit, sent["body"]))
            assert client.post("/accounts/verify/", {"code": code}).url == "/"


@pytest.mark.django_db
def test_alice_has_methods_to_try_every_flow(debug):
    seed()
    alice = User.objects.get(email="alice@northwind.example")
    assert sorted(alice.security_methods.values_list("kind", flat=True)) == [
        "email",
        "mobile_phone",
        "office_phone",
    ]
    assert alice.security_answers.count() == 3
    seed()
    assert alice.security_methods.count() == 3


@pytest.mark.django_db
def test_the_disabled_account_cannot_sign_in(debug, client):
    output = seed()
    email = "dave@northwind.example"

    client.post("/accounts/login/", {"login": email, "password": printed_password(output, email)})

    assert not User.objects.get(email=email).is_active
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_demo_passwords_pass_the_password_validators(debug):
    seed()

    for email, password in DEMO_PASSWORDS.items():
        user = User.objects.get(email=email)
        user.set_unusable_password()  # judge the password as if it were being chosen now
        validate_password(password, user)  # raises if too weak
    assert len(set(DEMO_PASSWORDS.values())) == len(DEMO_PASSWORDS)


@pytest.mark.django_db
def test_the_admin_is_a_superuser_at_northwind(debug):
    seed()

    admin = User.objects.get(email="admin@northwind.example")
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.memberships.get().organization.slug == "northwind"


@pytest.mark.django_db
def test_alice_has_a_home_and_a_guest_membership(debug):
    seed()

    alice = User.objects.get(email="alice@northwind.example")
    kinds = {m.organization.slug: m.kind for m in alice.memberships.select_related("organization")}
    assert kinds == {"northwind": Membership.Kind.HOME, "tailspin": Membership.Kind.GUEST}
    assert alice.time_zone == "Europe/London"
    assert alice.office_location == "Building 4, Room 210"


@pytest.mark.django_db
def test_every_employee_has_a_realistic_sign_in_history(debug):
    seed()

    for email in EMPLOYEES:
        events = SignInEvent.objects.filter(user__email=email)
        assert 40 <= events.count() <= 80, email
        assert events.filter(result=SignInEvent.Result.SUCCESS).count() > events.count() / 2
        assert events.filter(reason=SignInEvent.Reason.WRONG_PASSWORD).exists(), email
        assert events.values("country").distinct().count() >= 2, email
    assert SignInEvent.objects.filter(reason=SignInEvent.Reason.RATE_LIMITED).exists()
    assert SignInEvent.objects.filter(
        user__email="admin@northwind.example", app=SignInEvent.App.ADMIN
    ).exists()


@pytest.mark.django_db
def test_the_mistyped_address_belongs_to_no_account(debug):
    seed()

    unknown = SignInEvent.objects.filter(reason=SignInEvent.Reason.UNKNOWN_ACCOUNT)
    assert unknown.count() >= 2
    assert all(event.user is None and event.email for event in unknown)


@pytest.mark.django_db
def test_the_events_carry_country_and_browser_from_the_real_helpers(debug):
    seed()

    events = list(SignInEvent.objects.all())
    assert events
    for event in events:
        browser = parse_user_agent(event.user_agent)
        assert event.country
        assert event.country == country_of(event.ip)
        assert (event.browser, event.os, event.device) == (
            browser.label,
            browser.os,
            browser.device,
        )


@pytest.mark.django_db
def test_the_history_is_the_same_every_time(debug):
    def history():
        return sorted(
            SignInEvent.objects.values_list("email", "result", "reason", "ip", "user_agent")
        )

    seed()
    first = history()
    SignInEvent.objects.all().delete()
    seed()

    assert history() == first


@pytest.mark.django_db
def test_it_refuses_to_run_without_force_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        seed()

    assert counts() == {"Organization": 0, "User": 0, "Membership": 0, "SignInEvent": 0}


@pytest.mark.django_db
def test_it_runs_with_force_when_debug_is_off(settings):
    settings.DEBUG = False

    seed("--force")

    assert User.objects.count() == len(DEMO_PASSWORDS)


@pytest.mark.django_db
def test_the_output_lists_the_urls_and_every_demo_account(debug):
    output = seed()

    assert "http://localhost:8000/" in output
    assert "http://localhost:8000/admin/" in output
    assert "127.0.0.1" not in output  # passkeys cannot work at an IP address
    for email, password in DEMO_PASSWORDS.items():
        assert email in output
        assert password in output
    assert "(disabled)" in next(line for line in output.splitlines() if "dave@" in line)


def printed_answer(output: str, question: str) -> str:
    [line] = [line for line in output.splitlines() if line.strip().startswith(question)]
    return line.split(question, 1)[1].strip()


@pytest.mark.django_db
def test_alice_can_reset_her_password_with_the_printed_security_answers(debug, client):
    output = seed()
    email = "alice@northwind.example"

    client.post("/password/reset/", {"email": email})
    assert client.post("/password/reset/verify/", {"option": "email"}).url == (
        "/password/reset/code/"
    )
    [code] = re.findall(r"\b\d{6}\b", str(mail.outbox[-1].body))
    assert client.post("/password/reset/code/", {"code": code}).url == "/password/reset/verify/"
    chosen = client.post("/password/reset/verify/", {"option": "security_questions"})
    assert chosen.url == "/password/reset/questions/"
    asked = client.get("/password/reset/questions/").context["form"].questions
    # Typed the way people do: any case, stray spaces.
    answers = {
        f"answer_{n}": f"  {printed_answer(output, question.text).upper()} "
        for n, question in enumerate(asked, 1)
    }
    assert len(answers) == 3
    assert client.post("/password/reset/questions/", answers).url == "/password/reset/new/"
    new_password = "a fresh demo passphrase 77"
    finished = client.post(
        "/password/reset/new/", {"new_password1": new_password, "new_password2": new_password}
    )

    assert finished.url == "/password/reset/done/"
    assert User.objects.get(email=email).check_password(new_password)


@pytest.mark.django_db
def test_alices_security_answers_fit_their_questions(debug):
    seed()

    alice = User.objects.get(email="alice@northwind.example")
    answered = {a.question.text for a in alice.security_answers.select_related("question")}
    assert answered == set(DEMO_ANSWERS)
    assert DEMO_ANSWERS["In what city did your parents meet?"] == "Lisbon"
    assert DEMO_ANSWERS["What is your favorite food?"] == "Lasagne"


@pytest.mark.django_db
def test_everyone_with_methods_has_two_kinds_for_the_two_step_reset(debug):
    seed()

    for email in ("alice@northwind.example", "carol@northwind.example"):
        kinds = set(User.objects.get(email=email).security_methods.values_list("kind", flat=True))
        assert "email" in kinds
        assert kinds & {"mobile_phone", "office_phone"}, email


PHONE_KINDS = [Method.Kind.MOBILE_PHONE, Method.Kind.ALTERNATE_PHONE, Method.Kind.OFFICE_PHONE]


@pytest.mark.django_db
def test_every_seeded_phone_number_passes_the_phone_form(debug):
    seed()

    phones = list(Method.objects.filter(kind__in=PHONE_KINDS).select_related("user"))
    assert len(phones) == 4
    for method in phones:
        kind = METHOD_KINDS[method.kind]
        assert isinstance(kind, Phone)
        channels = kind.registration_channels(authentication_policy(method.user))
        assert channels, method.kind
        for channel in channels:
            # As the Change page fills the form in, and as someone would type it afresh.
            form = PhoneForm(
                kind,
                channels,
                {
                    "region": numbers.region_of(method.phone),
                    "number": numbers.format_national(method.phone),
                    "extension": method.extension,
                    "channel": channel,
                },
            )
            assert form.is_valid(), (method.phone, channel, form.errors)
            assert form.cleaned_data["phone"].e164 == method.phone


@pytest.mark.django_db
def test_alice_can_switch_her_seeded_mobile_to_calls(debug, client):
    seed()
    alice = User.objects.get(email="alice@northwind.example")
    mobile = alice.security_methods.get(kind=Method.Kind.MOBILE_PHONE)
    client.force_login(alice)
    mark_strong_sign_in(client, alice)
    url = f"/security-info/phone/{mobile.pk}/change/"
    form = client.get(url).context["form"]

    response = client.post(url, {**form.initial, "channel": "voice"})

    assert response.status_code == 302, response.context["form"].errors
    [call] = recent_outbox()
    assert call["channel"] == "call"
    # Northwind's calls ask to press # (on the development outbox), then the page continues.
    client.post(urlsplit(call["keys_url"]).path, {"Digits": "#", "outbox": "1"})
    client.post("/security-info/phone/verify/", {"call": "approved"})
    mobile.refresh_from_db()
    assert (mobile.phone, mobile.channel) == ("+61491570156", "voice")

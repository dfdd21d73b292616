"""Phone methods: a mobile phone (text or call), an alternate phone and an office phone."""

import re
import time

import pytest
from django.core import mail

from organizations.models import AuthenticationPolicy
from portal.delivery import recent_outbox
from security_info.models import Method
from signins.models import SecurityEvent, SignInEvent
from tests.factories import PASSWORD
from tests.security_info.conftest import add_authenticator, add_phone, mark_strong_sign_in

ADD_URL = "/security-info/phone/add/"
ADD_ALTERNATE_URL = "/security-info/alternate-phone/add/"
ADD_OFFICE_URL = "/security-info/office-phone/add/"
VERIFY_URL = "/security-info/phone/verify/"
RESEND_URL = "/security-info/phone/verify/resend/"
MOBILE = "+447400123456"  # a valid UK mobile number
OTHER_MOBILE = "+447400654321"


def change_url(method) -> str:
    prefix = {
        "mobile_phone": "phone",
        "alternate_phone": "alternate-phone",
        "office_phone": "office-phone",
    }
    return f"/security-info/{prefix[method.kind]}/{method.pk}/change/"


def last_code() -> str:
    """The code in the newest text or call ("1 2 3 4 5 6" when read out in a call)."""
    return "".join(re.findall(r"\d", recent_outbox()[0]["body"]))


def wrong_code() -> str:
    return "000000" if last_code() != "000000" else "111111"


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def read_aloud(northwind):
    """The policy's calls read a code aloud (the other choice asks to press #)."""
    AuthenticationPolicy.objects.create(organization=northwind, call_verification="code")


# Adding a mobile phone ----------------------------------------------------------------------


def test_the_form_offers_text_and_call_in_the_region_of_the_directory_phone(sudo_client):
    html = page(sudo_client.get(ADD_URL))
    assert (
        '<option value="US" selected>United States (+1)</option>' in html
    )  # +1 425 … business phone
    assert "United Kingdom (+44)" in html
    assert "Text me a code" in html
    assert "Call me" in html
    assert recent_outbox() == []  # looking at the form sends nothing


def test_the_directory_mobile_phone_sets_the_region_first(sudo_client, alice):
    alice.mobile_phone = "+44 7400 111222"
    alice.save()
    assert '<option value="GB" selected>' in page(sudo_client.get(ADD_URL))


def test_without_a_readable_directory_phone_the_region_is_the_united_states(sudo_client, alice):
    alice.business_phone = "ext. 4471"
    alice.save()
    assert '<option value="US" selected>' in page(sudo_client.get(ADD_URL))


def test_it_adds_a_phone_once_the_texted_code_is_entered(
    sudo_client, alice, django_capture_on_commit_callbacks
):
    response = sudo_client.post(
        ADD_URL, {"region": "GB", "number": "07400 123456", "channel": "sms"}
    )

    assert response.url == VERIFY_URL
    assert not Method.objects.exists()  # nothing until the code comes back
    [text] = recent_outbox()
    assert (text["channel"], text["to"]) == ("text", MOBILE)
    assert "+44 7400 123456" in page(sudo_client.get(VERIFY_URL))

    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(VERIFY_URL, {"code": last_code()}, follow=True)

    assert "SMS verified. Your phone was registered successfully." in page(response)
    method = Method.objects.get(user=alice)
    assert (method.kind, method.phone, method.extension, method.channel) == (
        "mobile_phone",
        MOBILE,
        "",
        "sms",
    )
    assert method.is_default  # her first way to complete a sign-in
    event = SecurityEvent.objects.get(user=alice)
    # Written for her, as the page shows it (the site's zone, UTC, names no country).
    assert (event.kind, event.detail) == (SecurityEvent.Kind.METHOD_ADDED, "Phone: +44 7400 123456")
    assert mail.outbox[-1].to == ["alice@northwind.example"]


def test_it_adds_a_phone_by_calling_and_reading_the_code(read_aloud, sudo_client, alice):
    sudo_client.post(ADD_URL, {"region": "US", "number": "(425) 555-0199", "channel": "voice"})

    call = recent_outbox()[0]
    assert (call["channel"], call["to"]) == ("call", "+14255550199")
    assert "We are calling" in page(sudo_client.get(VERIFY_URL))
    response = sudo_client.post(VERIFY_URL, {"code": last_code()}, follow=True)

    assert "Call answered. Your phone was registered successfully." in page(response)
    method = Method.objects.get(user=alice)
    assert (method.phone, method.channel) == ("+14255550199", "voice")


def test_a_phone_added_after_an_app_does_not_take_over_the_default(sudo_client, alice):
    app, _totp = add_authenticator(alice)
    Method.objects.filter(pk=app.pk).update(is_default=True)
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    sudo_client.post(VERIFY_URL, {"code": last_code()})
    assert not Method.objects.get(kind="mobile_phone").is_default
    assert Method.objects.get(kind="authenticator").is_default


@pytest.mark.parametrize(
    ("region", "typed"),
    [
        ("GB", "07400 123456"),
        ("GB", "07400-123-456"),
        ("GB", "+44 7400 123456"),
        ("GB", "+44 (0)7400 123456"),
        ("GB", "0044 7400 123456"),
        ("US", "+44 7400 123456"),  # a +country code wins over the picker
    ],
)
def test_numbers_are_stored_in_international_form_however_they_are_typed(
    sudo_client, region, typed
):
    response = sudo_client.post(ADD_URL, {"region": region, "number": typed, "channel": "sms"})
    assert response.url == VERIFY_URL
    assert recent_outbox()[0]["to"] == MOBILE


@pytest.mark.parametrize(
    ("region", "typed"),
    [("GB", "12345"), ("GB", "call me maybe"), ("US", "07400 123456"), ("GB", "+999 123 456 789")],
)
def test_an_invalid_number_gets_a_message_and_nothing_is_sent(sudo_client, region, typed):
    response = sudo_client.post(ADD_URL, {"region": region, "number": typed, "channel": "sms"})
    assert response.status_code == 200
    assert "Enter a valid phone number for the chosen country." in page(response)
    assert recent_outbox() == []


def test_an_unknown_region_is_refused(sudo_client):
    response = sudo_client.post(ADD_URL, {"region": "ZZ", "number": MOBILE, "channel": "sms"})
    assert response.status_code == 200
    assert recent_outbox() == []


def test_an_extension_is_removed_from_a_mobile_number(read_aloud, sudo_client, alice):
    response = sudo_client.post(
        ADD_URL, {"region": "US", "number": "+1 425 555 0199 x123", "channel": "voice"}, follow=True
    )
    assert "The extension was removed" in page(response)
    assert recent_outbox()[0]["to"] == "+14255550199"
    sudo_client.post(VERIFY_URL, {"code": last_code()})
    assert Method.objects.get(user=alice).extension == ""


def test_a_landline_cannot_get_text_messages(sudo_client):
    landline = {"region": "GB", "number": "020 7946 0018"}
    response = sudo_client.post(ADD_URL, landline | {"channel": "sms"})
    assert "landline" in page(response)
    assert recent_outbox() == []
    assert sudo_client.post(ADD_URL, landline | {"channel": "voice"}).url == VERIFY_URL


@pytest.mark.parametrize(
    "number",
    [
        "+1 900 555 0100",  # premium rate
        "+44 909 879 0000",  # premium rate
        "+1 800 555 0100",  # toll free
        "+44 800 111 1111",  # toll free
        "+33 810 12 34 56",  # shared cost
        "+44 300 123 4567",  # universal access (a company's one number)
    ],
)
@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_a_service_number_gets_no_code(sudo_client, number, channel):
    response = sudo_client.post(ADD_URL, {"region": "US", "number": number, "channel": channel})
    assert response.status_code == 200
    assert "toll-free, premium-rate or other service numbers" in page(response)
    assert recent_outbox() == []
    assert sudo_client.get(VERIFY_URL).url == "/security-info/"  # no code is pending


@pytest.mark.parametrize("url", [ADD_ALTERNATE_URL, ADD_OFFICE_URL])
def test_an_alternate_or_office_phone_cannot_be_a_service_number(sudo_client, url):
    response = sudo_client.post(url, {"region": "US", "number": "+1 800 555 0100"})
    assert "we can&#x27;t call toll-free, premium-rate or other service numbers" in page(response)
    assert recent_outbox() == []


@pytest.mark.parametrize(
    "number",
    [
        "+44 70 0012 3456",  # a "personal" number, forwarded wherever its owner says
        "+44 76 0012 3456",  # a pager
    ],
)
@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_a_number_that_rings_no_phone_of_its_own_gets_no_code(sudo_client, number, channel):
    response = sudo_client.post(ADD_URL, {"region": "GB", "number": number, "channel": channel})
    assert "codes can&#x27;t go to pagers, voicemail or forwarding numbers" in page(response)
    assert recent_outbox() == []


@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_an_internet_number_gets_no_code_by_default(sudo_client, channel):
    voip = {"region": "GB", "number": "056 0123 4567", "channel": channel}
    response = sudo_client.post(ADD_URL, voip)
    assert "codes can&#x27;t go to internet (VoIP) numbers" in page(response)
    assert recent_outbox() == []


@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_internet_numbers_can_be_allowed(sudo_client, settings, channel):
    settings.PHONE_ALLOW_VOIP = True
    voip = {"region": "GB", "number": "056 0123 4567", "channel": channel}
    assert sudo_client.post(ADD_URL, voip).url == VERIFY_URL
    assert recent_outbox()[0]["to"] == "+445601234567"


def test_allowing_internet_numbers_does_not_allow_service_numbers(sudo_client, settings):
    settings.PHONE_ALLOW_VOIP = True
    response = sudo_client.post(
        ADD_URL, {"region": "US", "number": "+1 900 555 0100", "channel": "sms"}
    )
    assert "premium-rate" in page(response)
    assert recent_outbox() == []


@pytest.mark.parametrize("number", ["+1 202 555 0123", "+1 425 555 0100"])
def test_a_us_number_that_may_be_a_mobile_can_get_texts(sudo_client, number):
    # Numbers in the US do not tell mobiles from landlines: the text has to try.
    response = sudo_client.post(ADD_URL, {"region": "US", "number": number, "channel": "sms"})
    assert response.url == VERIFY_URL


# The code step ------------------------------------------------------------------------------


def test_a_wrong_code_adds_nothing(sudo_client):
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    response = sudo_client.post(VERIFY_URL, {"code": wrong_code()})
    assert response.status_code == 200
    assert "That code is not right" in page(response)
    assert not Method.objects.exists()


def test_a_malformed_code_asks_for_six_digits(sudo_client):
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    response = sudo_client.post(VERIFY_URL, {"code": "12ab"})
    assert "Enter the 6-digit code." in page(response)


def test_an_expired_code_adds_nothing_and_starts_over(sudo_client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    code = last_code()
    time_machine.shift(11 * 60)
    mark_strong_sign_in(sudo_client, alice)

    response = sudo_client.post(VERIFY_URL, {"code": code})

    assert response.url == ADD_URL
    assert "This code has expired" in page(sudo_client.get(ADD_URL))
    assert not Method.objects.exists()
    assert sudo_client.get(VERIFY_URL).url == "/security-info/"


def test_five_wrong_codes_end_the_challenge(sudo_client):
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    code, wrong = last_code(), wrong_code()
    for _ in range(4):
        assert sudo_client.post(VERIFY_URL, {"code": wrong}).status_code == 200

    response = sudo_client.post(VERIFY_URL, {"code": wrong})

    assert response.url == ADD_URL
    assert "Too many wrong codes" in page(sudo_client.get(ADD_URL))
    assert sudo_client.post(VERIFY_URL, {"code": code}).url == "/security-info/"
    assert not Method.objects.exists()


def test_a_new_code_can_be_sent_after_half_a_minute(sudo_client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    first = last_code()

    response = sudo_client.post(RESEND_URL, follow=True)
    assert "You can ask for another in 30 seconds." in page(response)
    assert len(recent_outbox()) == 1
    time_machine.shift(29)
    response = sudo_client.post(RESEND_URL, follow=True)
    assert "You can ask for another in 1 second." in page(response)

    time_machine.shift(2)
    assert sudo_client.post(RESEND_URL).url == VERIFY_URL
    assert len(recent_outbox()) == 2
    if last_code() != first:
        assert "That code is not right" in page(sudo_client.post(VERIFY_URL, {"code": first}))
    sudo_client.post(VERIFY_URL, {"code": last_code()})
    assert Method.objects.filter(user=alice, phone=MOBILE).exists()


def test_codes_to_one_number_are_rate_limited(sudo_client, settings, time_machine):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"send_code_to": "1/15m/key"}
    time_machine.move_to(time.time(), tick=False)
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    time_machine.shift(31)

    response = sudo_client.post(RESEND_URL)

    assert response.status_code == 429
    assert "Try again in 15 minutes" in page(response)
    assert len(recent_outbox()) == 1


def test_the_number_form_shows_a_send_limit_and_stores_nothing(sudo_client, settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"send_code_to": "0/15m/key"}
    response = sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    assert response.status_code == 429
    assert "Too many attempts" in page(response)
    assert recent_outbox() == []
    assert not Method.objects.exists()
    assert not SecurityEvent.objects.exists()


def test_checking_codes_is_rate_limited(sudo_client, settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"check_code": "1/15m/key"}
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    sudo_client.post(VERIFY_URL, {"code": wrong_code()})
    response = sudo_client.post(VERIFY_URL, {"code": last_code()})
    assert response.status_code == 429
    assert not Method.objects.exists()


def test_nothing_to_verify_goes_back_to_security_info(sudo_client):
    assert sudo_client.get(VERIFY_URL).url == "/security-info/"
    assert sudo_client.post(VERIFY_URL, {"code": "123456"}).url == "/security-info/"
    assert sudo_client.post(RESEND_URL).url == "/security-info/"


def test_a_pending_email_registration_is_not_a_phone_one(sudo_client, alice):
    session = sudo_client.session
    session["security_info.challenge.register"] = {
        "purpose": "register",
        "user_id": alice.pk,
        "method_id": None,
        "kind": "email",
        "channel": "",
        "destination": "alice.archer@example.com",
        "sent_at": time.time(),
    }
    session.save()
    assert sudo_client.get(VERIFY_URL).url == "/security-info/"


# Alternate and office phones ----------------------------------------------------------------


def test_an_alternate_phone_is_called(read_aloud, sudo_client, alice):
    html = page(sudo_client.get(ADD_ALTERNATE_URL))
    assert "Text me a code" not in html
    sudo_client.post(ADD_ALTERNATE_URL, {"region": "GB", "number": OTHER_MOBILE})
    assert recent_outbox()[0]["channel"] == "call"
    response = sudo_client.post(VERIFY_URL, {"code": last_code()}, follow=True)
    assert "Call answered. Your phone was registered successfully." in page(response)
    method = Method.objects.get(user=alice)
    assert (method.kind, method.phone, method.channel) == ("alternate_phone", OTHER_MOBILE, "voice")


def test_an_office_phone_keeps_its_extension(read_aloud, sudo_client, alice):
    sudo_client.post(
        ADD_OFFICE_URL, {"region": "US", "number": "425 555 0100", "extension": "4471"}
    )
    call = recent_outbox()[0]
    assert (call["channel"], call["to"]) == ("call", "+14255550100 ext. 4471")
    assert "extension 4471" in page(sudo_client.get(VERIFY_URL))
    sudo_client.post(VERIFY_URL, {"code": last_code()})
    method = Method.objects.get(user=alice)
    assert (method.kind, method.phone, method.extension) == ("office_phone", "+14255550100", "4471")


def test_an_extension_typed_after_the_office_number_is_kept(sudo_client):
    sudo_client.post(
        ADD_OFFICE_URL, {"region": "US", "number": "(425) 555-0100 ext. 12", "extension": ""}
    )
    assert recent_outbox()[0]["to"] == "+14255550100 ext. 12"


@pytest.mark.parametrize("extension", ["12a", "12345678901", "#12"])
def test_an_extension_has_up_to_ten_digits(sudo_client, extension):
    response = sudo_client.post(
        ADD_OFFICE_URL, {"region": "US", "number": "425 555 0100", "extension": extension}
    )
    assert response.status_code == 200
    assert "An extension has" in page(response)
    assert recent_outbox() == []


# Limits and policy --------------------------------------------------------------------------


def test_only_one_phone_of_each_kind(sudo_client, alice):
    add_phone(alice, MOBILE)
    response = sudo_client.get(ADD_URL, follow=True)
    assert "You can have only 1 of this method, and you have it. Delete it first." in page(response)
    assert (
        sudo_client.post(ADD_URL, {"region": "GB", "number": OTHER_MOBILE, "channel": "sms"}).url
        == "/security-info/"
    )
    assert recent_outbox() == []
    assert sudo_client.get(ADD_ALTERNATE_URL).status_code == 200  # another kind is fine


def test_a_number_used_as_another_kind_of_phone_is_allowed(sudo_client, alice):
    add_phone(alice, MOBILE)
    assert sudo_client.post(ADD_ALTERNATE_URL, {"region": "GB", "number": MOBILE}).url == VERIFY_URL


def test_without_text_messages_only_a_call_is_offered(sudo_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_sms=False)
    html = page(sudo_client.get(ADD_URL))
    assert "Call me" in html
    assert "Text me a code" not in html
    response = sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    assert response.status_code == 200
    assert recent_outbox() == []


def test_without_calls_a_mobile_phone_can_only_get_texts(sudo_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_voice=False)
    html = page(sudo_client.get(ADD_URL))
    assert "Text me a code" in html
    assert "Call me" not in html
    assert sudo_client.get(ADD_ALTERNATE_URL).url == "/security-info/"
    assert sudo_client.get(ADD_OFFICE_URL).url == "/security-info/"


@pytest.mark.parametrize("url", [ADD_URL, ADD_ALTERNATE_URL, ADD_OFFICE_URL])
def test_when_the_policy_turns_phones_off_none_can_be_added(sudo_client, northwind, url):
    AuthenticationPolicy.objects.create(organization=northwind, allow_sms=False, allow_voice=False)
    response = sudo_client.get(url, follow=True)
    assert "Your organization does not allow this method." in page(response)
    assert (
        sudo_client.post(url, {"region": "GB", "number": MOBILE, "channel": "voice"}).url
        == "/security-info/"
    )
    assert recent_outbox() == []


def test_the_office_phone_policy_switch_is_honoured(sudo_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_office_phone=False)
    assert sudo_client.get(ADD_OFFICE_URL).url == "/security-info/"
    assert sudo_client.get(ADD_ALTERNATE_URL).status_code == 200


def test_a_policy_change_while_the_code_travels_stops_the_registration(sudo_client, northwind):
    sudo_client.post(ADD_URL, {"region": "GB", "number": MOBILE, "channel": "sms"})
    AuthenticationPolicy.objects.create(organization=northwind, allow_sms=False, allow_voice=False)
    response = sudo_client.post(VERIFY_URL, {"code": last_code()}, follow=True)
    assert "Your organization does not allow this method." in page(response)
    assert not Method.objects.exists()


# Changing a phone ---------------------------------------------------------------------------


def test_changing_keeps_the_old_number_until_the_new_one_is_verified(
    read_aloud, sudo_client, alice, django_capture_on_commit_callbacks
):
    method = add_phone(alice, MOBILE, channel="sms", is_default=True)
    html = page(sudo_client.get(change_url(method)))
    assert "07400 123456" in html
    assert '<option value="GB" selected>' in html

    response = sudo_client.post(
        change_url(method), {"region": "GB", "number": "07400 654321", "channel": "voice"}
    )

    assert response.url == VERIFY_URL
    assert recent_outbox()[0]["to"] == OTHER_MOBILE
    method.refresh_from_db()
    assert method.phone == MOBILE
    assert "That code is not right" in page(sudo_client.post(VERIFY_URL, {"code": wrong_code()}))
    method.refresh_from_db()
    assert method.phone == MOBILE

    with django_capture_on_commit_callbacks(execute=True):
        sudo_client.post(VERIFY_URL, {"code": last_code()})

    method.refresh_from_db()
    assert (method.phone, method.channel, method.is_default) == (OTHER_MOBILE, "voice", True)
    assert Method.objects.count() == 1
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.detail) == (
        SecurityEvent.Kind.METHOD_CHANGED,
        "Phone: +44 7400 654321",
    )
    assert mail.outbox[-1].to == ["alice@northwind.example"]


def test_changing_an_office_phone_can_change_only_the_extension(read_aloud, sudo_client, alice):
    method = add_phone(
        alice, "+14255550100", kind=Method.Kind.OFFICE_PHONE, extension="12", channel="voice"
    )
    assert 'value="12"' in page(sudo_client.get(change_url(method)))
    sudo_client.post(
        change_url(method), {"region": "US", "number": "425 555 0100", "extension": "13"}
    )
    sudo_client.post(VERIFY_URL, {"code": last_code()})
    method.refresh_from_db()
    assert (method.phone, method.extension) == ("+14255550100", "13")


def test_the_same_number_can_change_from_texts_to_calls(read_aloud, sudo_client, alice):
    method = add_phone(alice, MOBILE, channel="sms")
    response = sudo_client.post(
        change_url(method), {"region": "GB", "number": MOBILE, "channel": "voice"}
    )
    assert response.url == VERIFY_URL
    assert recent_outbox()[0]["channel"] == "call"
    sudo_client.post(VERIFY_URL, {"code": last_code()})
    method.refresh_from_db()
    assert (method.phone, method.channel) == (MOBILE, "voice")


def test_changing_to_the_same_number_is_refused(sudo_client, alice):
    method = add_phone(alice, MOBILE, channel="sms")
    response = sudo_client.post(
        change_url(method), {"region": "GB", "number": MOBILE, "channel": "sms"}
    )
    assert "This is already your number" in page(response)
    assert recent_outbox() == []


def test_an_expired_change_goes_back_to_the_change_form(sudo_client, alice, time_machine):
    time_machine.move_to(time.time(), tick=False)
    method = add_phone(alice, MOBILE, channel="sms")
    sudo_client.post(change_url(method), {"region": "GB", "number": OTHER_MOBILE, "channel": "sms"})
    time_machine.shift(11 * 60)
    mark_strong_sign_in(sudo_client, alice)
    assert sudo_client.post(VERIFY_URL, {"code": last_code()}).url == change_url(method)
    method.refresh_from_db()
    assert method.phone == MOBILE


@pytest.mark.parametrize("owner", ["bob", "charlie"])
def test_someone_elses_phone_is_not_found(sudo_client, owner, request):
    method = add_phone(request.getfixturevalue(owner), MOBILE, channel="sms")
    assert sudo_client.get(change_url(method)).status_code == 404
    response = sudo_client.post(
        change_url(method), {"region": "GB", "number": OTHER_MOBILE, "channel": "sms"}
    )
    assert response.status_code == 404
    assert recent_outbox() == []


def test_a_phone_is_changed_only_through_its_own_kind(sudo_client, alice):
    office = add_phone(alice, "+14255550100", kind=Method.Kind.OFFICE_PHONE)
    assert sudo_client.get(f"/security-info/phone/{office.pk}/change/").status_code == 404
    assert sudo_client.get("/security-info/phone/not-a-number/change/").status_code == 404


def test_the_security_info_page_links_to_change_the_phone(sudo_client, alice):
    method = add_phone(alice, MOBILE, channel="sms")
    assert change_url(method) in page(sudo_client.get("/security-info/"))


# Sudo mode and sign-in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ADD_URL),
        ("post", ADD_URL),
        ("get", ADD_OFFICE_URL),
        ("get", VERIFY_URL),
        ("post", RESEND_URL),
        ("get", "change"),
    ],
)
def test_every_page_asks_to_verify_again_when_the_sign_in_is_old(client, alice, method, url):
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    if url == "change":
        url = change_url(add_phone(alice, MOBILE, channel="sms"))
    response = getattr(client, method)(
        url, {"region": "GB", "number": MOBILE, "channel": "sms"} if method == "post" else None
    )
    assert response.status_code == 302
    assert response.url.startswith("/security-info/verify/?next=")
    assert recent_outbox() == []


def test_a_phone_completes_a_sign_in_with_a_texted_code(client, alice):
    add_phone(alice, MOBILE, channel="sms", is_default=True)

    response = client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})

    assert response["Location"] == "/accounts/verify/"
    assert recent_outbox()[0]["to"] == MOBILE
    response = client.post("/accounts/verify/", {"code": last_code()})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    event = SignInEvent.objects.get(result="success")
    assert event.second_factor == "mobile_phone:sms"

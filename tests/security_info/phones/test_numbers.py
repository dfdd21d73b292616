"""Numbers as a person reads them: national in their own region, international elsewhere."""

import pytest
from django.core import mail
from django.utils import timezone

from security_info.phones import numbers
from tests.security_info.conftest import add_phone


@pytest.fixture
def in_london():
    with timezone.override("Europe/London"):
        yield


@pytest.mark.parametrize(
    ("zone", "e164", "shown"),
    [
        ("Europe/London", "+447400123456", "07400 123456"),
        ("Europe/London", "+4915112345678", "+49 1511 2345678"),
        ("Europe/Berlin", "+4915112345678", "01511 2345678"),
        ("Europe/Berlin", "+447400123456", "+44 7400 123456"),
        ("America/New_York", "+14255550100", "(425) 555-0100"),
        # UTC names no country: every number gets its country code.
        ("UTC", "+447400123456", "+44 7400 123456"),
        ("UTC", "+14255550100", "+1 425-555-0100"),
        # A number the data does not know still belongs to its country code's region.
        ("Europe/London", "+447700900123", "07700 900123"),
    ],
)
def test_a_number_is_written_for_the_reader_s_region(zone, e164, shown):
    with timezone.override(zone):
        assert numbers.format_phone(e164) == shown


def test_an_extension_follows_the_number(in_london):
    assert numbers.format_phone("+442079460123", "210") == "020 7946 0123 ext. 210"


def test_text_that_is_no_number_is_shown_as_it_is(in_london):
    assert numbers.format_phone("not a number") == "not a number"


def test_the_region_comes_from_the_active_time_zone():
    with timezone.override("Europe/Madrid"):
        assert numbers.current_region() == "ES"
    with timezone.override("UTC"):
        assert numbers.current_region() is None


def test_the_phone_form_starts_in_the_time_zone_s_country_without_directory_phones(alice):
    assert numbers.default_region(alice) == "US"  # her directory phone's
    alice.business_phone = ""
    with timezone.override("Europe/Paris"):
        assert numbers.default_region(alice) == "FR"
    with timezone.override("UTC"):
        assert numbers.default_region(alice) == numbers.FALLBACK_REGION


def test_every_page_and_email_writes_the_number_the_same_way(
    sudo_client, alice, django_capture_on_commit_callbacks
):
    alice.time_zone = "Europe/London"
    alice.save()
    phone = add_phone(alice, "+447400123456", channel="sms", is_default=True)
    page = sudo_client.get("/security-info/").content.decode()
    assert "07400 123456" in page
    assert "+447400123456" not in page
    default = sudo_client.get("/security-info/default/").content.decode()
    assert "Text a code to 07400 123456" in default
    add_phone(alice, "+4915112345678", kind="alternate_phone")  # so the mobile may go
    delete = sudo_client.get(f"/security-info/methods/{phone.pk}/delete/").content.decode()
    assert "<strong>07400 123456</strong>" in delete
    with django_capture_on_commit_callbacks(execute=True):
        sudo_client.post(f"/security-info/methods/{phone.pk}/delete/")
    assert "07400 123456" in mail.outbox[-1].body
    assert "+447400123456" not in mail.outbox[-1].body

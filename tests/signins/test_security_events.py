"""Security events keep their particulars untranslated and word them when read.

SecurityEvent.storable / SecurityEvent.detail (signins/models.py) and record_security_event
(signins/services.py).
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.utils.translation import gettext, gettext_lazy, override

from signins import models
from signins.models import SecurityEvent
from signins.services import record_security_event

Kind = SecurityEvent.Kind
PHONE = gettext_lazy("Phone")  # Django's own German catalogue says "Telefon"
AUTHENTICATOR = gettext_lazy("Authenticator app")
SECURITY_QUESTIONS = gettext_lazy("Security questions")
TEXT_MESSAGE = gettext_lazy("Text message")
NUMBER = "+44 7400 123456"
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def german(text: str) -> str:
    with override("de"):
        return gettext(text)


@pytest.fixture
def request_by(rf):
    """A request from a browser in the UK, made by `user` (anonymous by default)."""

    def make(user=None):
        request = rf.post("/", REMOTE_ADDR="81.2.69.160", HTTP_USER_AGENT=CHROME_ON_WINDOWS)
        request.user = user or AnonymousUser()
        return request

    return make


def record(request, user, kind, **params) -> SecurityEvent:
    """Record without mail, and read the event back as the database keeps it."""
    event = record_security_event(request, user, kind, notify=False, **params)
    return SecurityEvent.objects.get(pk=event.pk)


def event_of(user, kind, params) -> SecurityEvent:
    return SecurityEvent.objects.create(user=user, kind=kind, params=params)


def test_the_german_catalogue_translates_the_label_used_here():
    # The tests below tell English from German by this word; without it they prove nothing.
    assert german("Phone") != "Phone"


# Storing.


def test_it_stores_a_lazy_label_as_its_untranslated_msgid():
    assert SecurityEvent.storable({"method": PHONE, "detail": NUMBER}) == {
        "method": {"msgid": "Phone"},
        "detail": NUMBER,
    }


def test_it_stores_the_msgid_even_while_another_language_is_active():
    with override("de"):
        stored = SecurityEvent.storable({"method": PHONE, "channel": TEXT_MESSAGE})
        assert stored == {"method": {"msgid": "Phone"}, "channel": {"msgid": "Text message"}}
        # …and leaves the active language as it found it.
        assert gettext("Phone") == german("Phone")


def test_it_stores_labels_inside_lists_and_pairs_as_lists():
    stored = SecurityEvent.storable({"cleared": [(PHONE, 2), (AUTHENTICATOR, 1)]})
    assert stored == {"cleared": [[{"msgid": "Phone"}, 2], [{"msgid": "Authenticator app"}, 1]]}


def test_it_stores_numbers_booleans_and_names_as_they_are():
    stored = SecurityEvent.storable({"minutes": 0, "one_time": False, "detail": "Work laptop"})
    assert stored == {"minutes": 0, "one_time": False, "detail": "Work laptop"}


def test_it_leaves_out_empty_and_missing_particulars():
    stored = SecurityEvent.storable({"method": SECURITY_QUESTIONS, "detail": "", "channel": None})
    assert stored == {"method": {"msgid": "Security questions"}}
    assert SecurityEvent.storable({"detail": None, "channel": ""}) == {}


def test_it_keeps_an_empty_list_of_cleared_methods():
    # "Nothing was deleted" is itself a particular, unlike a missing one.
    assert SecurityEvent.storable({"cleared": []}) == {"cleared": []}


def test_record_security_event_stores_the_particulars_untranslated(request_by, alice):
    alice.preferred_language = "de"
    alice.save()
    with override("de"):
        event = record(request_by(alice), alice, Kind.METHOD_ADDED, method=PHONE, detail=NUMBER)
    assert event.params == {"method": {"msgid": "Phone"}, "detail": NUMBER}


def test_record_security_event_does_not_store_empty_particulars(request_by, alice):
    event = record(
        request_by(alice),
        alice,
        Kind.METHOD_ADDED,
        method=SECURITY_QUESTIONS,
        detail="",
        channel=None,
    )
    assert event.params == {"method": {"msgid": "Security questions"}}
    assert record(request_by(alice), alice, Kind.PASSWORD_CHANGED).params == {}


# Reading.


def test_detail_is_worded_in_the_language_active_when_it_is_read(request_by, alice):
    event = record(request_by(alice), alice, Kind.METHOD_ADDED, method=PHONE, detail=NUMBER)
    with override("en"):
        assert event.detail == f"Phone: {NUMBER}"
    with override("de"):
        assert event.detail == f"{german('Phone')}: {NUMBER}"


@pytest.mark.parametrize(("failures", "said"), [(1, "1 wrong code"), (5, "5 wrong codes")])
def test_a_count_agrees_with_its_number(request_by, alice, failures, said):
    event = record(request_by(alice), alice, Kind.SIGN_IN_LOCKED, failures=failures)
    assert event.detail == f"{said} in a row"


def test_detail_asks_for_the_translation_at_reading_time(request_by, alice, monkeypatch):
    event = record(request_by(alice), alice, Kind.METHOD_ADDED, method=PHONE, detail=NUMBER)
    asked = []

    def fake_gettext(message):
        asked.append(message)
        return {"Phone": "Fon", "%(method)s: %(detail)s": "%(method)s — %(detail)s"}.get(
            message, message
        )

    monkeypatch.setattr(models, "gettext", fake_gettext)

    assert event.detail == f"Fon — {NUMBER}"
    assert asked == ["Phone", "%(method)s: %(detail)s"]


def test_a_method_event_reads_method_then_detail(alice):
    event = event_of(alice, Kind.METHOD_DELETED, {"method": {"msgid": "Phone"}, "detail": NUMBER})
    with override("en"):
        assert event.detail == f"Phone: {NUMBER}"


def test_a_name_given_by_the_user_is_shown_as_it_is(alice):
    # Only labels are translated, never a name someone typed that happens to be a word.
    event = event_of(alice, Kind.METHOD_ADDED, {"method": {"msgid": "Phone"}, "detail": "Phone"})
    with override("de"):
        assert event.detail == f"{german('Phone')}: Phone"


def test_a_new_default_reads_method_channel_and_detail(request_by, alice):
    event = record(
        request_by(alice),
        alice,
        Kind.DEFAULT_CHANGED,
        method=PHONE,
        channel=TEXT_MESSAGE,
        detail=NUMBER,
    )
    with override("en"):
        assert event.detail == f"Phone, Text message: {NUMBER}"


def test_a_new_default_without_a_channel_reads_method_then_detail(request_by, alice):
    event = record(
        request_by(alice),
        alice,
        Kind.DEFAULT_CHANGED,
        method=AUTHENTICATOR,
        channel=None,
        detail="Pixel",
    )
    assert "channel" not in event.params
    with override("en"):
        assert event.detail == "Authenticator app: Pixel"


def test_a_method_without_detail_reads_just_its_label(request_by, alice):
    event = record(request_by(alice), alice, Kind.METHOD_ADDED, method=PHONE)
    with override("en"):
        assert event.detail == "Phone"
    with override("de"):
        assert event.detail == german("Phone")


def test_an_event_without_particulars_reads_nothing(request_by, alice):
    assert record(request_by(alice), alice, Kind.PASSWORD_CHANGED).detail == ""


def test_a_temporary_pass_reads_its_validity(request_by, admin_user, alice):
    single = record(
        request_by(admin_user), alice, Kind.TEMPORARY_PASS_ISSUED, minutes=60, one_time=True
    )
    reusable = record(
        request_by(admin_user), alice, Kind.TEMPORARY_PASS_ISSUED, minutes=480, one_time=False
    )
    with override("en"):
        assert single.detail == "valid for 60 minutes, single use"
        assert reusable.detail == "valid for 480 minutes"


def test_a_reset_lists_each_kind_deleted_with_its_count(request_by, admin_user, alice):
    event = record(
        request_by(admin_user),
        alice,
        Kind.METHODS_RESET,
        cleared=[(PHONE, 2), (AUTHENTICATOR, 1)],
    )
    assert event.params == {
        "cleared": [[{"msgid": "Phone"}, 2], [{"msgid": "Authenticator app"}, 1]]
    }
    with override("en"):
        assert event.detail == "Phone: 2 deleted, Authenticator app: 1 deleted"
    with override("de"):
        assert event.detail.startswith(f"{german('Phone')}: 2 ")


def test_a_reset_that_found_nothing_says_so(request_by, admin_user, alice):
    event = record(request_by(admin_user), alice, Kind.METHODS_RESET, cleared=[])
    assert event.params == {"cleared": []}
    with override("en"):
        assert event.detail == "nothing to delete"


def test_an_event_from_before_particulars_shows_its_text(alice):
    event = event_of(alice, Kind.METHOD_ADDED, {"text": "Authenticator app: Pixel 9"})
    with override("en"):
        assert event.detail == "Authenticator app: Pixel 9"
    with override("de"):
        assert event.detail == "Authenticator app: Pixel 9"


# Who, where and whether to tell.


def test_an_admins_change_names_the_admin_as_actor(request_by, admin_user, alice):
    event = record(request_by(admin_user), alice, Kind.METHODS_RESET, cleared=[])
    assert event.user == alice
    assert event.actor == admin_user


def test_the_users_own_change_or_an_anonymous_one_has_no_actor(request_by, alice):
    assert record(request_by(alice), alice, Kind.PASSWORD_CHANGED).actor is None
    assert record(request_by(), alice, Kind.PASSWORD_RESET).actor is None


def test_it_records_where_the_change_came_from(request_by, alice):
    event = record(request_by(alice), alice, Kind.PASSWORD_CHANGED)
    assert event.ip == "81.2.69.160"
    assert event.country == "GB"
    assert event.browser.startswith("Chrome")


def test_without_notify_no_mail_is_queued(request_by, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_security_event(request_by(alice), alice, Kind.PASSWORD_CHANGED, notify=False)
    assert callbacks == []
    assert mail.outbox == []
    assert SecurityEvent.objects.filter(user=alice, kind=Kind.PASSWORD_CHANGED).count() == 1


def test_the_mail_goes_out_only_once_the_change_commits(
    request_by, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_security_event(request_by(alice), alice, Kind.PASSWORD_CHANGED)
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [message.to for message in mail.outbox] == [["alice@northwind.example"]]


def test_the_mails_subject_starts_with_the_site_name(
    request_by, alice, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_SUBJECT_PREFIX = "[Contoso Account] "  # what SITE_NAME=Contoso Account sets
    with django_capture_on_commit_callbacks(execute=True):
        record_security_event(request_by(alice), alice, Kind.PASSWORD_CHANGED)
    [message] = mail.outbox
    assert message.subject == "[Contoso Account] Password changed"

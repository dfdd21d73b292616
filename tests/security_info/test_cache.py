"""What the pages read of a person's security info comes from the cache, and every kind of
write to it is seen at the next read: by the page that made it and by every other."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import User
from security_info.models import (
    AppPassword,
    BlockedPhone,
    Method,
    RecoveryCode,
    RegistrationStatus,
    SecurityAnswer,
    SecurityQuestion,
    TemporaryAccessPass,
)
from security_info.verification import mark_used
from tests.security_info.conftest import add_phone, give_codes, make_app_password

URL = "/security-info/"


def page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_a_second_visit_reads_nothing_but_the_session_and_user(
    sudo_client, alice, django_assert_num_queries
):
    add_phone(alice)
    make_app_password(alice)
    page(sudo_client)
    with django_assert_num_queries(2):
        page(sudo_client)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda user: add_phone(user, phone="+447700900999", kind=Method.Kind.ALTERNATE_PHONE),
            id="create",
        ),
        pytest.param(
            lambda user: Method.objects.filter(user=user).update(phone="+447700900999"),
            id="queryset update",
        ),
        pytest.param(
            lambda user: Method.objects.bulk_create(
                [Method(user=user, kind=Method.Kind.OFFICE_PHONE, phone="+447700900999")]
            ),
            id="bulk create",
        ),
    ],
)
def test_every_way_of_writing_a_method_shows_at_once(sudo_client, alice, write):
    add_phone(alice)
    assert "900999" not in page(sudo_client)
    write(alice)
    assert "900999" in page(sudo_client)


def test_a_deleted_method_goes_at_once(sudo_client, alice):
    phone = add_phone(alice, phone="+447700900999")
    assert "900999" in page(sudo_client)
    phone.delete()
    assert "900999" not in page(sudo_client)
    add_phone(alice, phone="+447700900999")
    assert "900999" in page(sudo_client)
    Method.objects.filter(user=alice).delete()
    assert "900999" not in page(sudo_client)


def test_a_use_shows_at_once(sudo_client, alice):
    phone = add_phone(alice)
    assert "never used" in page(sudo_client)
    mark_used(phone)
    assert "last used just now" in page(sudo_client)


def test_the_other_kinds_show_their_changes_at_once(sudo_client, alice):
    page(sudo_client)
    make_app_password(alice, name="Old mail app")
    give_codes(alice, "11111111", "22222222")
    question = SecurityQuestion.objects.create(text="A question of the test?")
    SecurityAnswer.objects.create(user=alice, question=question, answer_hash="x")
    TemporaryAccessPass.objects.create(
        user=alice, digest="d", expires_at=timezone.now() + timedelta(hours=1)
    )
    html = page(sudo_client)
    assert "Old mail app" in html
    assert "2 codes left" in html
    assert "1 question answered" in html
    assert "Temporary Access Pass" in html
    AppPassword.objects.filter(user=alice).delete()
    RecoveryCode.objects.filter(user=alice).update(used_at=timezone.now())
    SecurityAnswer.objects.filter(user=alice).delete()
    TemporaryAccessPass.objects.get(user=alice).delete()
    html = page(sudo_client)
    assert "Old mail app" not in html
    assert "codes left" not in html
    assert "question answered" not in html


def test_a_blocked_number_shows_at_once(sudo_client, alice):
    add_phone(alice)
    page(sudo_client)
    BlockedPhone.objects.create(
        user=alice, phone="+447700900123", until=timezone.now() + timedelta(days=1)
    )
    assert "Blocked for verification until" in page(sudo_client)
    BlockedPhone.objects.filter(user=alice).delete()
    assert "Blocked for verification until" not in page(sudo_client)


def test_one_persons_change_leaves_anothers_cache_alone(
    sudo_client, alice, bob, django_assert_num_queries
):
    page(sudo_client)
    add_phone(bob)
    RegistrationStatus.objects.create(user=bob)
    with django_assert_num_queries(2):
        page(sudo_client)


def test_a_changed_model_never_reads_what_older_code_stored(alice, monkeypatch):
    from portal import caching  # noqa: PLC0415 (the fingerprint is the module's)
    from security_info import cache  # noqa: PLC0415

    user = User.objects.get(pk=alice.pk)
    assert cache.of_user(user, "x", lambda: "old") == "old"
    monkeypatch.setattr(caching, "_fingerprint", lambda: "another-shape")
    assert cache.of_user(user, "x", lambda: "new") == "new"


def test_the_page_reads_all_of_a_persons_security_info_in_one_round_trip(
    sudo_client, alice, cache_reads
):
    """Methods, answers, app passwords, codes, passes, blocked numbers: one cache read."""
    add_phone(alice)
    make_app_password(alice)
    page(sudo_client)  # fills the cache
    cache_reads.clear()
    page(sudo_client)
    about_security_info = [keys for keys in cache_reads if any("security_info:" in k for k in keys)]
    assert len(about_security_info) == 1
    assert len(about_security_info[0]) >= 6  # every kind the page shows, at once

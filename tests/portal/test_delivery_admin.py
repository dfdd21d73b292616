"""Admins see every send the portal made or gave up on, and why, but never the message."""

from django.urls import reverse

from portal import delivery
from portal.models import Delivery
from tests.fakes.twilio import serve_fake_twilio


def test_a_send_given_up_on_is_listed_with_its_reason_and_without_its_code(
    client, admin_user, alice, settings, monkeypatch
):
    with serve_fake_twilio(settings, monkeypatch) as twilio:
        twilio.fail_next(400)
        try:
            delivery.send_text("+447700900123", "Your code is 482913", purpose="sign-in code")
        except delivery.DeliveryFailed as e:
            failed = e.delivery
    client.force_login(admin_user)

    listing = client.get(reverse("admin:portal_delivery_changelist") + "?status=failed")
    page = client.get(reverse("admin:portal_delivery_change", args=[failed.pk]))

    assert "+447700900123" in listing.content.decode()
    assert "Provider refused the recipient" in page.content.decode()
    assert "Twilio 400 (error 21211)" in page.content.decode()
    for answer in (listing, page):
        assert "482913" not in answer.content.decode()
    assert Delivery.objects.get().sealed_message == ""


def test_admins_cannot_add_or_change_deliveries(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:portal_delivery_add")).status_code == 403
    assert client.get(reverse("admin:portal_workerheartbeat_add")).status_code == 403

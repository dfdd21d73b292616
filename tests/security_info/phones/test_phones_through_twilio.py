"""Adding a phone when texts go out through Twilio (here a local fake that speaks its API)."""

from django.urls import reverse

from security_info.models import Method
from signins.models import SecurityEvent


def test_adding_a_phone_while_twilio_fails_shows_why_and_stores_nothing(twilio, sudo_client, alice):
    twilio.fail_next(400)

    response = sudo_client.post(
        reverse("security_info:add_mobile_phone"),
        {"region": "GB", "number": "07400 123456", "channel": "sms"},
    )

    assert response.status_code == 200
    assert "The code could not be delivered there" in response.content.decode()
    assert not Method.objects.filter(user=alice).exists()
    assert not SecurityEvent.objects.filter(user=alice).exists()


def test_adding_a_phone_through_twilio_registers_it(twilio, sudo_client, alice):
    sudo_client.post(
        reverse("security_info:add_mobile_phone"),
        {"region": "GB", "number": "07400 123456", "channel": "sms"},
    )
    code = twilio.messages[0]["Body"].split()[-1]

    response = sudo_client.post(reverse("security_info:verify_phone"), {"code": code})

    assert response.status_code == 302
    assert Method.objects.get(user=alice).phone == "+447400123456"

"""People with one of everything, and the URL of every page filled with their objects.

The security suites attack every URL pattern the resolver knows (see routes.py). A pattern's
arguments are filled from here: an object page gets an object of the kind it is about, taken
from the owner or from someone else; a pattern nobody knows how to fill fails loudly.
"""

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone

from organizations.models import AuthenticationPolicy
from portal import crypto, delivery
from security_info import calls
from security_info.models import Method, PhoneCall, RecoveryCode, TemporaryAccessPass
from signins.models import SecurityEvent, SignInEvent
from tests.security.routes import Route
from tests.security_info.conftest import (
    add_authenticator,
    add_email,
    add_passkey,
    add_phone,
    give_codes,
    give_pass,
    make_app_password,
)

# What each object page of the portal is about: the name of the owner's object it is given.
# A new object URL must be added here, or the suites fail and say so.
OBJECT_OF_ROUTE = {
    "security_info:delete": "authenticator",
    "security_info:change_mobile_phone": "mobile_phone",
    "security_info:change_alternate_phone": "alternate_phone",
    "security_info:change_office_phone": "office_phone",
    "security_info:change_email": "email",
    "security_info:delete_app_password": "app_password",
    "security_info:rename_passkey": "passkey",
    "portal:delivery_status": "delivery",
    "security_info:call_state": "phone_call",
    "security_info:call_answer": "phone_call_token",
    "security_info:call_status": "phone_call_token",
}
# Twilio's callbacks: named by a token, not an id, and answering only a POST that Twilio signed
# (tests/security_info/phones/test_approval_calls.py). The body suite attacks them; they are no
# page of an owner's, so the IDOR suite leaves them out.
CALLBACKS = {"security_info:call_answer", "security_info:call_status"}

# An id no row has (in the admin's tables the suite leaves empty, the task results, say).
MISSING_ID = "999999999"


def give_everything(user) -> dict[str, Model]:
    """Register one of every method for `user`; return them by what the object pages call them."""
    number = f"{user.pk % 1000:03d}"
    authenticator, _totp = add_authenticator(user)
    passkey, _key = add_passkey(user)
    give_codes(user, "abcdefghjk")
    return {
        "authenticator": authenticator,
        "mobile_phone": add_phone(user, phone=f"+447700900{number}"),
        "alternate_phone": add_phone(
            user, phone=f"+447700901{number}", kind=Method.Kind.ALTERNATE_PHONE
        ),
        "office_phone": add_phone(user, phone=f"+442079460{number}", kind=Method.Kind.OFFICE_PHONE),
        "email": add_email(user, f"home.{user.pk}@example.com"),
        "passkey": passkey,
        "app_password": make_app_password(user),
        "temporary_pass": give_pass(user),
        "delivery": send_code_to(user),
        **call(user),
    }


def call(user) -> dict:
    """An approval call to the user's phone, and its callbacks' token (as `pk`, for the URL)."""
    token = f"hostile-token-{user.pk}"
    phone_call = PhoneCall.objects.create(
        token_digest=crypto.digest(token, calls.TOKEN_PURPOSE),
        user=user,
        purpose="sign_in",
        phone="+447700900000",
        callback_base="http://testserver",
        expires_at=timezone.now() + timedelta(minutes=10),
    )
    return {"phone_call": phone_call, "phone_call_token": SimpleNamespace(pk=token)}


def send_code_to(user):
    """A code texted to the user (its state is the object of the delivery status URL)."""
    return delivery.send_text("+447700900000", "Your code is 123456", purpose="test", user=user)


@dataclass
class World:
    """Everyone's belongings, and how to fill a URL pattern's arguments with them."""

    belongings: dict[int, dict[str, Model]]

    def object_for(self, route: Route, owner) -> Model:
        """The owner's object that the object page `route` is about."""
        try:
            kind = OBJECT_OF_ROUTE[route.name]
        except KeyError:
            pytest.fail(
                f"{route} is an object URL with no fixture: name what it is about in "
                "OBJECT_OF_ROUTE (tests/security/conftest.py)"
            )
        return self.belongings[owner.pk][kind]

    def url(self, route: Route, owner) -> str:
        """The URL of `route`, its arguments filled with `owner`'s objects."""
        values: dict[str, object] = {}
        for argument in route.arguments:
            if route.namespace != "admin":
                values[argument] = self.object_for(route, owner).pk
            else:
                values[argument] = self._admin_value(route, argument, owner)
        return route.url(**values)

    def _admin_value(self, route: Route, argument: str, owner) -> object:
        if argument == "object_id" and route.name != "admin:view_on_site":
            app_label, model_name = route.parts[1].strip("/").split("/")
            row = apps.get_model(app_label, model_name)._default_manager.order_by("pk").first()
            return row.pk if row else MISSING_ID
        values = {
            "content_type_id": ContentType.objects.get_for_model(owner).pk,
            "object_id": owner.pk,  # of the admin's "view on site" link
            "id": owner.pk,  # the user whose password the admin sets
            "pk": self.belongings[owner.pk]["temporary_pass"].pk,  # the pass just issued
            "app_label": "security_info",
            "url": "nowhere/",
        }
        if argument not in values:
            pytest.fail(
                f"{route}: no value for its argument {argument!r} (tests/security/conftest.py)"
            )
        return values[argument]


@pytest.fixture
def world(alice, charlie, admin_user, northwind) -> World:
    """Alice (the owner) and Charlie (an outsider), each with one of everything."""
    AuthenticationPolicy.objects.create(organization=northwind, allow_app_passwords=True)
    Group.objects.create(name="Help desk")
    SignInEvent.objects.create(user=alice, email=alice.email, result=SignInEvent.Result.SUCCESS)
    SecurityEvent.objects.create(user=alice, kind=SecurityEvent.Kind.METHOD_ADDED)
    return World({user.pk: give_everything(user) for user in (alice, charlie)})


def rows_of(user) -> dict[str, list[dict]]:
    """Everything of `user`'s that the object pages could change, to compare before and after."""
    return {
        "methods": list(Method.objects.filter(user=user).order_by("pk").values()),
        "app_passwords": list(user.app_passwords.order_by("pk").values()),
        "recovery_codes": list(RecoveryCode.objects.filter(user=user).order_by("pk").values()),
        "temporary_pass": list(TemporaryAccessPass.objects.filter(user=user).values()),
        "security_events": list(SecurityEvent.objects.filter(user=user).order_by("pk").values()),
    }

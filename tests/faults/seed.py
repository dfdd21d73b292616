"""The fault suite's people, created in the stack's database by a process with its settings.

Run by the stack as `python -c "from tests.faults.seed import main; main()" SPEC` with its
environment (the field key seals the authenticator seeds); SPEC is JSON, and the users come
out on stdout as JSON, by kind, each for one test only:

- "totp": signs in with an authenticator app (the test computes its codes): then in sudo mode,
  adds a phone or an email address;
- "sms": signs in with a code texted to their mobile phone;
- "reset": has an alternate email address, for password resets;
- "load": as "totp", for the load test (LOAD_USERS of them).
"""

import json
import os
import sys

import django

# How many users of each kind one run of the suite needs, at most.
SPEC = {
    "totp": 12,
    "sms": 12,
    "reset": 4,
    # The load test's people (tests/faults/test_load.py): authenticator users too.
    "load": int(os.environ.get("LOAD_USERS", "20")),
}
DOMAIN = "faults.example"


def phone_of(kind_index: int, n: int) -> str:
    return f"+4474001{kind_index}{n:04d}"


def main() -> None:
    spec = json.loads(sys.argv[1])
    django.setup()
    # Only importable once Django is set up.
    import pyotp  # noqa: PLC0415
    from django.contrib.auth.hashers import make_password  # noqa: PLC0415

    from organizations.models import Membership, Organization  # noqa: PLC0415
    from portal import crypto  # noqa: PLC0415
    from portal.models import User  # noqa: PLC0415
    from security_info.models import Method  # noqa: PLC0415
    from tests.factories import PASSWORD  # noqa: PLC0415

    organization, _created = Organization.objects.get_or_create(
        slug="faults", defaults={"name": "Fault Suite Ltd", "primary_domain": DOMAIN}
    )
    hashed = make_password(PASSWORD)  # once: Argon2 is slow on purpose
    made: dict[str, list[dict]] = {}
    for kind_index, (kind, count) in enumerate(sorted(spec.items()), start=1):
        for n in range(1, count + 1):
            email = f"{kind}{n}@{DOMAIN}"
            user = User.objects.create_user(email, None, given_name=kind.title(), surname=str(n))
            user.password = hashed
            user.save(update_fields=["password"])
            Membership.objects.create(
                user=user, organization=organization, kind=Membership.Kind.HOME
            )
            person = {"email": email, "password": PASSWORD, "id": user.pk}
            if kind in {"totp", "load"}:
                secret = pyotp.random_base32()
                Method.objects.create(
                    user=user,
                    kind=Method.Kind.AUTHENTICATOR,
                    name="Phone app",
                    secret=crypto.encrypt(secret),
                    is_default=True,
                )
                person |= {"totp": secret, "new_phone": phone_of(kind_index, n)}
                person["personal_email"] = f"{kind}{n}.personal@home.example"
            elif kind == "sms":
                person["phone"] = phone_of(kind_index, n)
                Method.objects.create(
                    user=user,
                    kind=Method.Kind.MOBILE_PHONE,
                    phone=person["phone"],
                    channel=Method.Channel.SMS,
                    is_default=True,
                )
            elif kind == "reset":
                person["personal_email"] = f"{kind}{n}.personal@home.example"
                Method.objects.create(
                    user=user, kind=Method.Kind.EMAIL, email=person["personal_email"]
                )
                # A second method, so the account is not one step from being locked out.
                Method.objects.create(
                    user=user,
                    kind=Method.Kind.MOBILE_PHONE,
                    phone=phone_of(kind_index, n),
                    channel=Method.Channel.SMS,
                    is_default=True,
                )
            made.setdefault(kind, []).append(person)
    print(json.dumps(made))

"""The two accounts the benchmark signs in as, made what DESIGN.md describes on every run.

The measured user gets all 8 kinds of security info, under a policy that requires multi-factor
sign-in, and nothing that would interrupt a page (the registration wizard, the review, an
expired password). The plain user has a password and nothing else, under a policy that asks
for nothing more: the password sign-in DESIGN.md's bookkeeping budget is about.

Both are set up again on every run, not at load time, so a data set loaded before the models
changed still gets methods of the current shape.
"""

# The project's modules load only once bench_pages.py has configured Django.
# ruff: noqa: PLC0415

from dataclasses import dataclass
from datetime import timedelta

import pyotp

PLAIN_EMAIL = "plain.user@org02.bench.example"
PLAIN_PASSWORD = "Plain-User-Bench-2026!"

# Numbers reserved for drama that the phone form accepts (as in seed_demo): ACMA's mobiles,
# and Ofcom's London drama range for the office.
MOBILE_PHONE = "+61491570110"
ALTERNATE_PHONE = "+61491570111"
OFFICE_PHONE = "+442079460456"
OFFICE_EXTENSION = "4711"
PERSONAL_EMAIL = "morgan.measure@personal.example"
SECURITY_ANSWERS = ("Lisbon", "Lasagne", "Biscuit")
PASSWORD_AGE_DAYS = 30


@dataclass(frozen=True)
class SecondFactor:
    """What a sign-in needs for the measured user's second step: the app's seed and option."""

    method_id: int
    secret: str
    option_key: str  # what the second step's "sign in another way" posts

    def code(self) -> str:
        """Return the current code, made usable again: a code counts once per time step."""
        from security_info.models import Method

        Method.objects.filter(pk=self.method_id).update(last_step=None)
        return pyotp.TOTP(self.secret).now()


def prepare_measured_user(user) -> SecondFactor:
    """Give the measured user DESIGN.md's 8 kinds of method under an MFA policy; return the app.

    Whatever the user had is replaced, so every run starts from the same security info.
    """
    from organizations.models import AuthenticationPolicy
    from organizations.policies import home_organization

    AuthenticationPolicy.objects.update_or_create(
        organization=home_organization(user),
        defaults={
            "mfa_required": True,
            "system_preferred": False,
            "remember_browser_days": 0,
            "allow_app_passwords": True,
        },
    )
    secret = pyotp.random_base32()
    app = replace_methods(user, secret)
    replace_answers(user)
    replace_app_passwords(user)
    clear_interrupts(user)
    return SecondFactor(app.pk, secret, app_option_key(user, app))


def app_option_key(user, app) -> str:
    """Return the key of the app's option at the second step, as its page names it."""
    from organizations.policies import authentication_policy
    from security_info.methods import sign_in_options
    from security_info.models import Method

    options = sign_in_options(Method.objects.filter(user=user), authentication_policy(user))
    return next(option.key for option in options if option.method.pk == app.pk)


def replace_methods(user, secret: str):
    """Give the user an app, three phones (the mobile texts by default), an email and a
    passkey; return the app."""
    from fido2.utils import websafe_encode

    from portal import crypto
    from security_info.models import Method
    from tests.fakes.webauthn import SoftKey

    kind = Method.Kind
    Method.objects.filter(user=user).delete()
    key = SoftKey()
    key.user_handle = str(user.pk).encode()
    app = Method.objects.create(
        user=user, kind=kind.AUTHENTICATOR, name="Authenticator", secret=crypto.encrypt(secret)
    )
    Method.objects.bulk_create(
        [
            Method(
                user=user,
                kind=kind.MOBILE_PHONE,
                phone=MOBILE_PHONE,
                channel=Method.Channel.SMS,
                is_default=True,
            ),
            Method(user=user, kind=kind.ALTERNATE_PHONE, phone=ALTERNATE_PHONE),
            Method(
                user=user, kind=kind.OFFICE_PHONE, phone=OFFICE_PHONE, extension=OFFICE_EXTENSION
            ),
            Method(user=user, kind=kind.EMAIL, email=PERSONAL_EMAIL),
            Method(
                user=user,
                kind=kind.PASSKEY,
                name="Laptop",
                credential_id=key.id,
                credential=websafe_encode(key.credential_data()),
                aaguid=str(key.aaguid),
                passwordless=True,
            ),
        ]
    )
    return app


def replace_answers(user) -> None:
    """Answer the first predefined security questions the policy asks for, hashed as the page
    stores them."""
    from organizations.policies import authentication_policy
    from security_info.models import SecurityAnswer, SecurityQuestion
    from security_info.security_questions.answers import hash_answer

    SecurityAnswer.objects.filter(user=user).delete()
    wanted = authentication_policy(user).security_questions_required
    questions = SecurityQuestion.objects.filter(is_active=True)[:wanted]
    answers = (SECURITY_ANSWERS * wanted)[:wanted]
    SecurityAnswer.objects.bulk_create(
        SecurityAnswer(user=user, question=question, answer_hash=hash_answer(answer))
        for question, answer in zip(questions, answers, strict=True)
    )


def replace_app_passwords(user) -> None:
    """Give the user one app password, stored as the page stores one (a keyed digest)."""
    from portal import crypto
    from security_info.app_passwords.passwords import DIGEST_PURPOSE, generate, normalize
    from security_info.models import AppPassword

    AppPassword.objects.filter(user=user).delete()
    digest = crypto.digest(normalize(generate()) or "", DIGEST_PURPOSE)
    AppPassword.objects.create(user=user, name="Mail app", digest=digest)


def clear_interrupts(user) -> None:
    """Leave nothing for a sign-in to interrupt with: info confirmed now, a current password."""
    from django.utils import timezone

    from security_info.models import RegistrationStatus

    now = timezone.now()
    RegistrationStatus.objects.update_or_create(
        user=user, defaults={"last_confirmed_at": now, "first_asked_at": None}
    )
    user.password_changed_at = now - timedelta(days=PASSWORD_AGE_DAYS)
    user.must_change_password = False
    user.save(update_fields=["password_changed_at", "must_change_password"])


def prepare_plain_user(organization):
    """Return the plain user (Argon2 password, no methods) in `organization`, under a policy
    that requires neither multi-factor sign-in nor registering for password reset."""
    from organizations.models import AuthenticationPolicy, Membership
    from portal.models import User
    from security_info.models import Method

    AuthenticationPolicy.objects.update_or_create(
        organization=organization,
        defaults={"mfa_required": False, "reset_registration_required": False},
    )
    user = User.objects.filter(email=PLAIN_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            PLAIN_EMAIL, PLAIN_PASSWORD, given_name="Pat", surname="Plain"
        )
        Membership.objects.create(user=user, organization=organization)
    Method.objects.filter(user=user).delete()
    clear_interrupts(user)
    return user


def describe_methods(user) -> str:
    """Say which kinds of security info the user has, for the report's header."""
    from security_info.models import AppPassword, Method, SecurityAnswer

    kinds = list(Method.objects.filter(user=user).values_list("kind", flat=True))
    if SecurityAnswer.objects.filter(user=user).exists():
        kinds.append("security_questions")
    if AppPassword.objects.filter(user=user).exists():
        kinds.append("app_password")
    return f"{len(kinds)} kinds ({', '.join(kinds)}; default: mobile phone by text)"

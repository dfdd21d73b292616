"""Migrate the anchor project's database and give it its one user (run as a module).

    DJANGO_SETTINGS_MODULE=tests.benchmarks.anchor.settings DATABASE_URL=... \
        python -m tests.benchmarks.anchor.prepare

The user has a verified primary address and a TOTP authenticator with ANCHOR_TOTP_SECRET, so
that signing in goes through allauth.mfa's second step as the portal's does. Idempotent; the
sessions of earlier runs are deleted.
"""

# Django is configured first, in prepare(); allauth.mfa is installed here, unlike in the portal.
# ruff: noqa: PLC0415, TID251

ANCHOR_EMAIL = "anchor.user@bench.example"
ANCHOR_PASSWORD = "Anchor-User-Bench-2026!"
ANCHOR_TOTP_SECRET = "BU3553C2TQJTLXL5D4SLZWBM5A7KRBPO"


def prepare() -> None:
    """Migrate, then create or repair the anchor user, its address and its authenticator."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session

    user = get_user_model().objects.filter(email=ANCHOR_EMAIL).first()
    if user is None:
        user = get_user_model().objects.create_user("anchor", ANCHOR_EMAIL, ANCHOR_PASSWORD)
    EmailAddress.objects.update_or_create(
        user=user, email=ANCHOR_EMAIL, defaults={"verified": True, "primary": True}
    )
    Authenticator.objects.filter(user=user).delete()
    TOTP.activate(user, ANCHOR_TOTP_SECRET)
    Session.objects.all().delete()


if __name__ == "__main__":
    prepare()

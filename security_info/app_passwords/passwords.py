"""App passwords: generated, shown once, kept only as a keyed hash, and checked by the API.

A password is 16 random lowercase letters shown in groups of four ("abcd-efgh-ijkl-mnop"),
about 75 bits: strong enough that a fast keyed hash is safe, which lets a sign-in find the row
by its digest. Dashes, spaces and capitals do not matter when one is typed.
"""

import secrets
import string

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from portal import crypto
from security_info.models import AppPassword
from signins.models import SecurityEvent
from signins.services import record_security_event

DIGEST_PURPOSE = "app_password"
MAX_APP_PASSWORDS = 40
LABEL = gettext_lazy("App password")
LETTERS, GROUPS = 16, 4


class TooManyAppPasswords(Exception):
    """The user has the most app passwords allowed; the message is for them."""


def generate() -> str:
    letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(LETTERS))
    size = LETTERS // GROUPS
    return "-".join(letters[i : i + size] for i in range(0, LETTERS, size))


def normalize(password: str) -> str | None:
    """Return the password as hashed (16 lowercase letters), or None if it cannot be one."""
    letters = "".join(password.replace("-", "").split()).lower()
    if len(letters) == LETTERS and all(c in string.ascii_lowercase for c in letters):
        return letters
    return None


def get_app_password_for_user(user, pk) -> AppPassword:
    """Return the user's app password, or 404 for anyone else's (and for a malformed id)."""
    try:
        return get_object_or_404(AppPassword, user=user, pk=int(pk))
    except (TypeError, ValueError):
        raise Http404 from None


def limit_reached(user) -> str:
    """Return why the user cannot have another app password, or "" when they can."""
    if AppPassword.objects.filter(user=user).count() >= MAX_APP_PASSWORDS:
        return ngettext(
            "You have %(max)s app password, the most you can have. Delete it first.",
            "You have %(max)s app passwords, the most you can have. Delete one first.",
            MAX_APP_PASSWORDS,
        ) % {"max": MAX_APP_PASSWORDS}
    return ""


@transaction.atomic
def create_app_password(request, user, name: str) -> tuple[AppPassword, str]:
    """Make a new app password; return it with the plaintext, which is never stored."""
    # Lock the account row so two requests at once cannot both take the last free slot.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    refusal = limit_reached(user)
    if refusal:
        raise TooManyAppPasswords(refusal)
    password = generate()
    letters = normalize(password) or ""  # always 16 letters: generate() makes them
    app_password = AppPassword.objects.create(
        user=user, name=name, digest=crypto.digest(letters, DIGEST_PURPOSE)
    )
    record_security_event(request, user, SecurityEvent.Kind.METHOD_ADDED, method=LABEL, detail=name)
    return app_password, password


@transaction.atomic
def delete_app_password(request, app_password: AppPassword) -> None:
    app_password.delete()
    record_security_event(
        request,
        app_password.user,
        SecurityEvent.Kind.METHOD_DELETED,
        method=LABEL,
        detail=app_password.name,
    )


def find_app_password(email: str, password: str) -> AppPassword | None:
    """Return the app password if it is this password and belongs to the account `email`.

    A digest an older key made is re-made with the current key on the way.
    """
    letters = normalize(password)
    if letters is None:
        return None
    digests = crypto.digests(letters, DIGEST_PURPOSE)  # under the current and older keys
    app_password = AppPassword.objects.filter(digest__in=digests).select_related("user").first()
    if app_password is None or app_password.user.email.lower() != email.strip().lower():
        return None
    # The row was found by its digest; compare again in constant time all the same.
    if not crypto.matches(letters, DIGEST_PURPOSE, app_password.digest):
        return None
    _renew_digest(app_password, letters)
    return app_password


def _renew_digest(app_password: AppPassword, letters: str) -> None:
    """Re-make a digest an older key made, now that the password is at hand: once every app
    password has been used since a key rotation, the old key no longer matters to them."""
    if renewed := crypto.redigested(letters, DIGEST_PURPOSE, app_password.digest):
        AppPassword.objects.filter(pk=app_password.pk, digest=app_password.digest).update(
            digest=renewed
        )
        app_password.digest = renewed


def mark_used(app_password: AppPassword) -> None:
    app_password.last_used_at = timezone.now()
    AppPassword.objects.filter(pk=app_password.pk).update(last_used_at=app_password.last_used_at)

"""Authenticator app codes (RFC 6238 TOTP through pyotp), with replay protection."""

import pyotp
from django.conf import settings
from django.db.models import Q

from portal import crypto
from security_info.models import Method

PERIOD = 30
DIGITS = 6
TOLERANCE_STEPS = 1  # one step either side, for clocks a little off


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret, issuer=settings.SITE_NAME, name=account).provisioning_uri()


def matching_step(secret: str, code: str) -> int | None:
    """Return the time step the code belongs to, or None if it is not a current code."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == DIGITS):
        return None
    try:
        return pyotp.TOTP(secret).verify_and_get_timecode(code, valid_window=TOLERANCE_STEPS)
    except pyotp.OTPVerificationError:
        return None


def accept_code(method: Method, code: str) -> bool:
    """Accept a code for a registered app once: a step at or before the last one is refused.

    The check and the update are one conditional UPDATE, so two requests racing with the same
    code cannot both win.
    """
    step = matching_step(crypto.decrypt(method.secret), code)
    if step is None:
        return False
    accepted = (
        Method.objects.filter(pk=method.pk)
        .filter(Q(last_step__isnull=True) | Q(last_step__lt=step))
        .update(last_step=step)
    )
    if accepted:
        method.last_step = step
    return bool(accepted)

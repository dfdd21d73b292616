"""Rate limits on everything that sends a code or checks a secret.

They count in the shared cache through allauth's rate limiter, with the rates configured in
settings.ACCOUNT_RATE_LIMITS under the action names used here.
"""

from allauth.core.internal import ratelimit


def _consume(request, action: str, key: str | None = None) -> bool:
    # allauth's public consume() lets every GET through; a secret checked on a GET (the API's
    # Basic authentication) must count too.
    return bool(
        ratelimit.consume(request, app="allauth.account", action=action, key=key, limit_get=True)
    )


def allow_code_send(request, user_id: int | None, destination: str) -> bool:
    """Limit codes per user and per IP, and per destination against toll fraud (SMS pumping)."""
    return _consume(request, "send_code", key=f"user:{user_id}") and _consume(
        request, "send_code_to", key=destination.lower()
    )


def allow_code_check(request, user_id: int | None) -> bool:
    return _consume(request, "check_code", key=f"user:{user_id}")


def allow_secret_check(request, action: str, key: str) -> bool:
    """Limit guesses at app passwords, security answers, recovery codes and passes."""
    return _consume(request, action, key=key.lower())

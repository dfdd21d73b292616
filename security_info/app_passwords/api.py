"""The JSON API that app passwords unlock: GET /api/me, the signed-in user's profile.

It authenticates by HTTP Basic only (email address + app password), never by the session
cookie, so an app password is all a legacy app ever holds: not the account password, and no
way into the portal. Every attempt is rate limited and written to the sign-in log.
"""

import base64
from collections.abc import Callable
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from organizations.policies import home_organization
from portal import ratelimits
from portal.views import json_error
from security_info.app_passwords.passwords import find_app_password, mark_used
from signins.models import SignInEvent
from signins.services import record_failed_sign_in, record_sign_in

REALM = 'Basic realm="My Account", charset="UTF-8"'

Reason = SignInEvent.Reason


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """Return (email, password) from an Authorization: Basic header, or None if unusable."""
    scheme, _space, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), not even ASCII, or not UTF-8
        return None
    email, colon, password = decoded.partition(":")
    # Control characters (a NUL, say) cannot be in an address, and PostgreSQL refuses them.
    if not colon or not email.isprintable() or not email.strip() or not password:
        return None
    return email.strip(), password


def api_view(*methods: str) -> Callable:
    """Make a view of the API: open to requests without a session, free of CSRF checks, and
    answering a method it does not take with a JSON 405.

    CSRF protects what a browser does with its cookies on someone's behalf. The API never reads
    the session cookie: each request carries its own credentials in the Authorization header,
    which another site's page cannot make a browser add, so there is nothing to forge. A
    browser that remembered Basic credentials could still be led to send them, but only with
    the methods taken here (GET), which change nothing but the app password's "last used".
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = json_error(
                    405,
                    "method_not_allowed",
                    _("This address answers only %(methods)s.") % {"methods": ", ".join(methods)},
                )
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return csrf_exempt(login_not_required(checked))

    return decorator


@api_view("GET")
def me(request: HttpRequest) -> JsonResponse:
    """Return the profile of the account whose email and app password are given."""
    credentials = basic_credentials(request)
    if credentials is None:
        return _unauthorized()
    email, password = credentials
    account = get_user_model().objects.by_email(email).first()
    try:
        # One account however its address is typed: capitals would each get their own count.
        ratelimits.consume(request, "check_app_password", key=f"email:{email.lower()}")
    except ratelimits.RateLimited:
        _record_failure(request, email, account, Reason.RATE_LIMITED)
        raise
    app_password = find_app_password(email, password)
    if app_password is None:
        _record_failure(
            request, email, account, Reason.WRONG_PASSWORD if account else Reason.UNKNOWN_ACCOUNT
        )
        return _unauthorized()
    user = app_password.user
    # Said only to whoever holds a valid app password, so it reveals nothing to a guesser.
    if not user.is_active:
        _record_failure(request, email, user, Reason.INACTIVE_ACCOUNT)
        return _error(403, "inactive_account", _("This account is disabled."))
    mark_used(app_password)
    record_sign_in(
        request,
        result=SignInEvent.Result.SUCCESS,
        user=user,
        app=SignInEvent.App.API,
        method="app_password",
    )
    return _no_store(JsonResponse(profile(user)))


def profile(user) -> dict:
    organization = home_organization(user)
    return {
        "email": user.email,
        "display_name": user.name,
        "given_name": user.given_name,
        "surname": user.surname,
        "job_title": user.job_title,
        "department": user.department,
        "office_location": user.office_location,
        "business_phone": user.business_phone,
        "mobile_phone": user.mobile_phone,
        "preferred_language": user.preferred_language,
        "time_zone": user.time_zone,
        "home_organization": organization.name if organization else None,
    }


def _record_failure(request, email: str, user, reason) -> None:
    record_failed_sign_in(
        request, reason, user=user, email=email, app=SignInEvent.App.API, method="app_password"
    )


def _unauthorized() -> JsonResponse:
    response = _error(
        401, "unauthorized", _("Sign in with your email address and an app password.")
    )
    response["WWW-Authenticate"] = REALM
    return response


def _error(status: int, code: str, message: str) -> JsonResponse:
    return json_error(status, code, message)


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response

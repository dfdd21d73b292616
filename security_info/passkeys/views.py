"""Passkeys and security keys: add one, rename it, sign in or re-verify with one (WebAuthn).

The pages are plain views. The ceremonies run in static/security_info/webauthn.js against the
JSON endpoints here: each is POST-only and CSRF-protected, answers {"location": ...} where the
browser goes next, or {"error": ...} with status 400, and then has changed nothing. A body that
is not a small JSON object is answered {"error": "bad_request", "message": ...} before any of it
is looked at.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations.policies import authentication_policy
from portal import ratelimits
from portal.authentication import complete_sign_in, record_factor
from portal.http import PortalRequest, UnreadableBody, bad_request, json_object, safe_next
from portal.sudo import record_verification, sudo_required
from security_info.methods import can_add, get_method_for_user
from security_info.models import Method
from security_info.passkeys import webauthn
from security_info.passkeys.forms import PasskeyNameForm
from security_info.passkeys.webauthn import PasskeyError
from security_info.services import add_method, change_method
from security_info.stages import SecondFactorStage
from signins.models import SignInEvent
from signins.services import record_failed_sign_in, sign_in_app

# Adding or changing a passkey needs a strong sign-in within the last five minutes.
PASSKEY_SUDO_SECONDS = 5 * 60


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _unreadable() -> JsonResponse:
    return bad_request(_("Your browser's answer could not be read. Try again."))


def _go(response: HttpResponse) -> JsonResponse:
    """Hand the redirect that ends a sign-in to the script, which follows it."""
    return JsonResponse({"location": response.get("Location") or reverse("portal:overview")})


# Adding and renaming ------------------------------------------------------------------------


@never_cache
@require_GET
@sudo_required(max_age=PASSKEY_SUDO_SECONDS)
def add(request: PortalRequest) -> HttpResponse:
    refusal = can_add(request.user, Method.Kind.PASSKEY)
    if refusal:
        messages.error(request, refusal)
        return redirect("security_info:index")
    # At an address where passkeys cannot work, the page says why instead of offering a button
    # the browser would refuse.
    policy = authentication_policy(request.user)
    context = {
        "not_here": "" if webauthn.works_at(request) else webauthn.NOT_HERE,
        "models_restricted": bool(policy.passkey_restriction),
        "attestation_required": policy.passkey_attestation_required,
    }
    return render(request, "security_info/passkeys/add.html", context)


def _refusal(request: PortalRequest) -> str:
    """Why the user cannot add a passkey here and now, or ""."""
    if not webauthn.works_at(request):
        return str(webauthn.NOT_HERE)
    return can_add(request.user, Method.Kind.PASSKEY)


@never_cache
@require_POST
@sudo_required(max_age=PASSKEY_SUDO_SECONDS)
def register_options(request: PortalRequest) -> JsonResponse:
    refusal = _refusal(request)
    if refusal:
        return _error(refusal)
    return JsonResponse(webauthn.registration_options(request, request.user))


@never_cache
@require_POST
@sudo_required(max_age=PASSKEY_SUDO_SECONDS)
def register(request: PortalRequest) -> JsonResponse:
    """Store the passkey the browser just created, under a default name the user can change."""
    user = request.user
    refusal = _refusal(request)
    if refusal:
        return _error(refusal)
    try:
        new = webauthn.verify_registration(request, user, json_object(request).get("credential"))
        method = add_method(
            request,
            user,
            kind=Method.Kind.PASSKEY,
            name=_default_name(user),
            credential_id=new.credential_id,
            credential=new.credential,
            sign_count=new.sign_count,
            passwordless=new.passwordless,
            aaguid=new.aaguid,
        )
    except UnreadableBody:
        return _unreadable()
    except PasskeyError as e:
        return _error(str(e))
    except IntegrityError:  # the credential id is taken: this key is registered already
        return _error(_("This passkey is already registered. Use it, or add a different one."))
    # No "Passkey added" message: the page it leads to says so in its heading.
    url = reverse("security_info:rename_passkey", args=[method.pk])
    return JsonResponse({"location": f"{url}?added=1"})


def _default_name(user) -> str:
    taken = set(
        Method.objects.filter(user=user, kind=Method.Kind.PASSKEY).values_list("name", flat=True)
    )
    number = 1
    while _("Passkey %(number)s") % {"number": number} in taken:
        number += 1
    return _("Passkey %(number)s") % {"number": number}


@never_cache
@require_http_methods(["GET", "POST"])
@sudo_required(max_age=PASSKEY_SUDO_SECONDS)
def rename(request: PortalRequest, pk) -> HttpResponse:
    method = get_method_for_user(request.user, pk, kinds=[Method.Kind.PASSKEY])
    form = PasskeyNameForm(request.POST or None, initial={"name": method.name})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["name"] != method.name:
            change_method(request, method, name=form.cleaned_data["name"])
            messages.success(request, _("Passkey renamed."))
        return redirect("security_info:index")
    return render(
        request,
        "security_info/passkeys/rename.html",
        {"form": form, "method": method, "added": request.GET.get("added") == "1"},
    )


# Signing in without a password ----------------------------------------------------------------


@never_cache
@login_not_required
@require_POST
def sign_in_options(request) -> JsonResponse:
    return JsonResponse(webauthn.authentication_options(request, "passwordless"))


@never_cache
@login_not_required
@require_POST
def sign_in(request) -> JsonResponse:
    """Sign in with a discoverable passkey alone; allauth's login stages and records follow."""
    next_url = ""
    try:
        ratelimits.consume(request, "passkey_login")
        body = json_object(request)
        next_url = safe_next(request, body.get("next"), "")
        method = webauthn.verify_assertion(request, "passwordless", body.get("credential"))
        _check_may_sign_in(method.user)
    except ratelimits.RateLimited:
        record_failed_sign_in(request, SignInEvent.Reason.RATE_LIMITED, method="passkey")
        raise
    except UnreadableBody:
        record_failed_sign_in(request, SignInEvent.Reason.INVALID_CREDENTIAL, method="passkey")
        return _unreadable()
    except PasskeyError as e:
        record_failed_sign_in(
            request, e.reason, user=e.user, app=sign_in_app(request, next_url), method="passkey"
        )
        if e.reason == SignInEvent.Reason.BLOCKED_PASSKEY:  # the holder of the key is told
            return _error(str(e))
        return _error(_("That passkey didn't work. Try again or sign in with your password."))
    user = method.user
    if not method.passwordless:  # it just proved it is discoverable
        Method.objects.filter(pk=method.pk).update(passwordless=True)
    record_factor(request, user, method="passkey", passwordless=True)
    return _go(complete_sign_in(request, user, next_url or None))


def _check_may_sign_in(user) -> None:
    # The policy flag allows *adding* passkeys (self-service set-up); keys already registered
    # keep working when it is switched off, as in Entra.
    if not user.is_active:
        raise PasskeyError("", user=user, reason=SignInEvent.Reason.INACTIVE_ACCOUNT)


# The second step after a password -------------------------------------------------------------


@never_cache
@login_not_required
@require_POST
def verify_options(request) -> JsonResponse:
    stage = SecondFactorStage.resume(request)
    if stage is None:
        return _expired_sign_in()
    return JsonResponse(webauthn.authentication_options(request, "sign_in", stage.login.user))


@never_cache
@login_not_required
@require_POST
def verify(request) -> JsonResponse:
    ratelimits.consume(request, "passkey_login")
    stage = SecondFactorStage.resume(request)
    if stage is None:
        return _expired_sign_in()
    try:
        credential = json_object(request).get("credential")
        webauthn.verify_assertion(request, "sign_in", credential, stage.login.user)
    except UnreadableBody:
        stage.record_failure(SignInEvent.Reason.INVALID_CREDENTIAL, "passkey")
        return _unreadable()
    except PasskeyError as e:
        stage.record_failure(e.reason, "passkey")
        return _error(_("%(problem)s Try again or sign in another way.") % {"problem": e})
    return _go(stage.finish("passkey"))


def _expired_sign_in() -> JsonResponse:
    return JsonResponse(
        {
            "error": _("Your sign-in has expired. Sign in again."),
            "location": reverse("account_login"),
        },
        status=400,
    )


# Re-verifying for sudo mode -------------------------------------------------------------------


@never_cache
@require_POST
def sudo_options(request: PortalRequest) -> JsonResponse:
    return JsonResponse(webauthn.authentication_options(request, "sudo", request.user))


@never_cache
@require_POST
def sudo(request: PortalRequest) -> JsonResponse:
    # Not rate-limited: the user is signed in, and a signature cannot be guessed anyway.
    try:
        body = json_object(request)
        webauthn.verify_assertion(request, "sudo", body.get("credential"), request.user)
    except UnreadableBody:
        return _unreadable()
    except PasskeyError as e:
        return _error(_("%(problem)s Try again or verify another way.") % {"problem": e})
    record_verification(request, "passkey")
    next_url = safe_next(request, body.get("next"), reverse("security_info:index"))
    return JsonResponse({"location": next_url})

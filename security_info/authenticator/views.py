"""Adding an authenticator app: scan the QR code, name the app, type its current code."""

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from portal import crypto
from portal.http import PortalRequest
from portal.sudo import sudo_required
from security_info.authenticator import totp
from security_info.authenticator.forms import AuthenticatorForm
from security_info.methods import can_add
from security_info.models import Method
from security_info.services import add_method

SETUP_SESSION_KEY = "security_info.authenticator_setup"


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return image.to_string(encoding="unicode")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@sudo_required
def add(request: PortalRequest) -> HttpResponse:
    refusal = can_add(request.user, Method.Kind.AUTHENTICATOR)
    if refusal:
        messages.error(request, refusal)
        return redirect("security_info:index")
    # The seed waits in the session, encrypted like at rest, until a code proves the app has it.
    secret = _pending_secret(request)
    if secret is None or request.method == "GET":
        secret = totp.new_secret()
        request.session[SETUP_SESSION_KEY] = crypto.encrypt(secret)
    form = AuthenticatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = totp.matching_step(secret, form.cleaned_data["code"])
        if step is None:
            form.add_error(
                "code", _("That code is not right. Check the app's clock and use the newest code.")
            )
        else:
            add_method(
                request,
                request.user,
                kind=Method.Kind.AUTHENTICATOR,
                name=form.cleaned_data["name"],
                secret=crypto.encrypt(secret),
                last_step=step,  # the code just typed cannot sign anyone in again
            )
            del request.session[SETUP_SESSION_KEY]
            messages.success(request, _("Authenticator app added."))
            return redirect("security_info:index")
    uri = totp.provisioning_uri(secret, request.user.email)
    return render(
        request,
        "security_info/authenticator/add.html",
        {"form": form, "qr_svg": qr_svg(uri), "secret": secret, "uri": uri},
    )


def _pending_secret(request) -> str | None:
    try:
        return crypto.decrypt(request.session[SETUP_SESSION_KEY])
    except (KeyError, ValueError):
        return None

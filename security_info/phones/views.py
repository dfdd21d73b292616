"""Phone methods: add or change a mobile, alternate or office phone, proved by a code.

The number form sends a code (text or call) and keeps the number in a "register" challenge in
the session; nothing is stored until the code comes back. A change keeps the old number until
the new one is proved.
"""

from dataclasses import replace

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from organizations.policies import authentication_policy
from portal.http import PortalRequest
from portal.sudo import sudo_required
from security_info import calls, challenges, verification
from security_info.challenges import Challenge, ChallengeError, InvalidCode, SendRefused
from security_info.forms import CodeForm
from security_info.methods import METHOD_KINDS, can_add, get_method_for_user
from security_info.models import Method
from security_info.phones import numbers
from security_info.phones.forms import PhoneForm
from security_info.phones.kind import Phone
from security_info.services import add_method, change_method

PURPOSE = verification.REGISTER
Kind, Channel = Method.Kind, Method.Channel
# The urlconf passes the kind to the shared views.
MOBILE = {"kind": Kind.MOBILE_PHONE}
ALTERNATE = {"kind": Kind.ALTERNATE_PHONE}
OFFICE = {"kind": Kind.OFFICE_PHONE}


def _phone_kind(kind: str) -> Phone:
    phone_kind = METHOD_KINDS[kind]
    assert isinstance(phone_kind, Phone)  # noqa: S101 (the urlconf passes only phone kinds)
    return phone_kind


REGISTERED = {
    Channel.SMS: gettext_lazy("SMS verified. Your phone was registered successfully."),
    Channel.VOICE: gettext_lazy("Call answered. Your phone was registered successfully."),
}


@never_cache
@require_http_methods(["GET", "POST"])
@sudo_required
def add(request: PortalRequest, kind: str) -> HttpResponse:
    refusal = can_add(request.user, kind)
    if refusal:
        messages.error(request, refusal)
        return redirect("security_info:index")
    phone_kind = _phone_kind(kind)
    initial = {"region": numbers.default_region(request.user)}
    form = PhoneForm(
        phone_kind, _channels(request.user, phone_kind), request.POST or None, initial=initial
    )
    if request.method == "POST" and form.is_valid() and _send_first_code(request, form, kind):
        return redirect("security_info:verify_phone")
    return render(
        request,
        "security_info/phones/form.html",
        {"form": form, "title": phone_kind.add_title, "intro": phone_kind.intro},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@sudo_required
def change(request: PortalRequest, pk: str, kind: str) -> HttpResponse:
    method = get_method_for_user(request.user, pk, kinds=[kind])
    phone_kind = _phone_kind(kind)
    if not phone_kind.is_allowed(authentication_policy(request.user)):
        messages.error(request, _("Your organization does not allow this method."))
        return redirect("security_info:index")
    form = PhoneForm(
        phone_kind,
        _channels(request.user, phone_kind),
        request.POST or None,
        initial=_initial_for(method, request.user),
        current=method,
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _send_first_code(request, form, kind, method)
    ):
        return redirect("security_info:verify_phone")
    return render(
        request,
        "security_info/phones/form.html",
        {"form": form, "title": phone_kind.change_title, "intro": phone_kind.intro},
    )


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@sudo_required
def verify(request: PortalRequest) -> HttpResponse:
    """Take the code sent to the new number; register (or change to) the number when right."""
    challenge = _pending(request)
    if challenge is None:
        return redirect("security_info:index")
    if request.method == "POST" and request.POST.get("call") == "approved":
        approved = challenges.take_approval(request, PURPOSE)
        if approved is not None:
            return _register(request, approved)
        messages.info(request, _("The call isn't approved yet. Answer it and press #."))
    form = CodeForm(None if challenge.approve else request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification.check_registration(request, form.cleaned_data["code"])
        except InvalidCode as e:
            form.add_error("code", str(e))
        except ChallengeError as e:  # expired, or too many wrong codes: start again
            messages.error(request, str(e))
            return redirect(_number_form_url(challenge))
        else:
            return _register(request, challenge)
    phone = numbers.format_phone(challenge.destination)
    return render(
        request,
        "security_info/phones/verify.html",
        {
            "form": form,
            "challenge": challenge,
            "send_status": challenges.send_status(request, challenge, phone),
            "call_status": challenges.call_status(request, challenge, phone),
            "phone": phone,
            "back_url": _number_form_url(challenge),
        },
    )


@never_cache
@require_POST
@sudo_required
def resend(request: PortalRequest) -> HttpResponse:
    """Send a new code to the number being registered (after the resend cooldown)."""
    challenge = _pending(request)
    if challenge is None:
        return redirect("security_info:index")
    try:
        sent = challenges.send(request, replace(challenge, digest="", sent_at=0.0, attempts=0))
    except SendRefused as e:
        messages.error(request, str(e))
    else:
        if challenges.send_state(request, sent) == challenges.SENT:  # else the page tells
            messages.success(request, _("We sent a new code."))
    return redirect("security_info:verify_phone")


def _channels(user, phone_kind: Phone) -> list[str]:
    """Return how codes may reach this kind of phone under the user's policy."""
    return phone_kind.registration_channels(authentication_policy(user))


def _initial_for(method: Method, user) -> dict:
    """Fill the number form with the registered phone, as written in its own country."""
    initial = {
        "region": numbers.region_of(method.phone) or numbers.default_region(user),
        "number": numbers.format_national(method.phone),
        "extension": method.extension,
    }
    if method.channel in _channels(user, _phone_kind(method.kind)):
        initial["channel"] = method.channel
    return initial


def _send_first_code(request, form: PhoneForm, kind: str, method: Method | None = None) -> bool:
    """Send the code to the typed number; on refusal, say why on the form and return False."""
    phone = form.cleaned_data["phone"]
    challenge = Challenge(
        purpose=PURPOSE,
        user_id=request.user.pk,
        method_id=method.pk if method else None,
        kind=kind,
        channel=_phone_kind(kind).challenge_channel(form.chosen_channel),
        destination=phone.e164,
        extension=form.cleaned_data["extension"],
        extra={"mode": "change" if method else "add"},
    )
    challenge.approve = challenge.channel == challenges.VOICE and calls.approves(
        authentication_policy(request.user)
    )
    try:
        challenges.send(request, challenge)
    except SendRefused as e:
        form.add_error(None, str(e))
        return False
    if form.extension_removed:
        messages.info(request, _("The extension was removed: only an office phone can have one."))
    return True


def _pending(request) -> Challenge | None:
    """Return the phone being registered in this session, if any."""
    challenge = challenges.current(request, PURPOSE)
    if (
        challenge is None
        or not isinstance(METHOD_KINDS.get(challenge.kind), Phone)
        or challenge.user_id != request.user.pk
    ):
        return None
    return challenge


def _number_form_url(challenge: Challenge) -> str:
    phone_kind = _phone_kind(challenge.kind)
    if challenge.extra.get("mode") == "change":
        return reverse(phone_kind.change_url_name, args=[challenge.method_id])
    return reverse(phone_kind.add_url_name)


def _register(request, challenge: Challenge) -> HttpResponse:
    channel = Channel.SMS if challenge.channel == challenges.SMS else Channel.VOICE
    fields = {"phone": challenge.destination, "extension": challenge.extension, "channel": channel}
    if challenge.extra.get("mode") == "change":
        method = get_method_for_user(request.user, challenge.method_id, kinds=[challenge.kind])
        change_method(request, method, **fields)
    else:
        # Checked again: the policy may have changed, or another tab added one, since the code went out.
        refusal = can_add(request.user, challenge.kind)
        if refusal:
            messages.error(request, refusal)
            return redirect("security_info:index")
        add_method(request, request.user, kind=challenge.kind, **fields)
    messages.success(request, REGISTERED[channel])
    return redirect("security_info:index")

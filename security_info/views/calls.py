"""Approval calls: Twilio's callbacks (the key pressed, how the call ended), and the state a
waiting page follows (security_info.calls).

The callbacks come from Twilio, not a browser: no session and no CSRF token, but Twilio's
signature over the URL and the fields, checked before anything changes. An unknown token is
404, a bad signature 403, a call already settled 409; none of them changes anything.
"""

import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from security_info import calls, challenges
from security_info.models import PhoneCall

TWIML = "text/xml; charset=utf-8"
# The purposes whose challenges may be waiting on a call in a session.
WAITING_PURPOSES = ("sign_in", "sudo", "register")


def _signed_call(request: HttpRequest, token: str) -> PhoneCall | HttpResponse:
    call = calls.find(token)
    if call is None:
        return HttpResponse(status=404)
    if not calls.signed_by_twilio(request, call):
        return HttpResponse(status=403)
    return call


@csrf_exempt
@login_not_required
@never_cache
@require_POST
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The key the person pressed during the call (Twilio's <Gather> action)."""
    call = _signed_call(request, token)
    if isinstance(call, HttpResponse):
        return call
    try:
        twiml = calls.press(request, call, request.POST.get("Digits", "")[:1])
    except calls.NotPending:
        return HttpResponse(status=409)
    if settings.PHONE_BACKEND == "console" and request.POST.get("outbox"):
        return redirect("portal:outbox")  # pressed on the development outbox page
    return HttpResponse(twiml, content_type=TWIML)


@csrf_exempt
@login_not_required
@never_cache
@require_POST
def status(request: HttpRequest, token: str) -> HttpResponse:
    """How the call ended (Twilio's status callback): settles a call still waiting."""
    call = _signed_call(request, token)
    if isinstance(call, HttpResponse):
        return call
    calls.hear_status(call, request.POST.get("CallStatus", ""))
    return HttpResponse(status=204)


@login_not_required  # the second step of signing in waits on its call too
@never_cache
def call_state(request: HttpRequest, pk: str) -> HttpResponse:
    """The state of a call this session is waiting on, or of the signed-in person's own;
    any other call (or none) is 404, whatever the method."""
    call = _call_of(request, pk)
    if call is None:
        raise Http404
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    waiting_on = call.state == PhoneCall.State.CALLING and call.expires_at > timezone.now()
    return JsonResponse({"state": call.state, "finished": not waiting_on})


def _call_of(request: HttpRequest, pk: str) -> PhoneCall | None:
    try:
        call_id = str(uuid.UUID(pk))
    except ValueError:
        return None
    waiting = [challenges.current(request, purpose) for purpose in WAITING_PURPOSES]
    if any(challenge and challenge.call_id == call_id for challenge in waiting):
        return calls.state_for_session(call_id)
    if request.user.is_authenticated:
        return PhoneCall.objects.filter(pk=call_id, user=request.user).first()
    return None

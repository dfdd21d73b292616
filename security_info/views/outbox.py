"""The development outbox: texts and calls the console sender "sent" (DEBUG only)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from security_info.delivery import recent_outbox


@never_cache
@login_not_required  # codes are read here before the sign-in is finished
@require_GET
def outbox(request) -> HttpResponse:
    if not settings.DEV_OUTBOX:
        raise Http404
    return render(request, "security_info/outbox.html", {"messages_sent": recent_outbox()})

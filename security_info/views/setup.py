""" "Keep your account secure" (the methods a sign-in found missing, step by step, then what was
set up) and the periodic review of one's security info. Both are interrupts: reached right
after signing in, in the sign-in pages' layout, and left for where the person was going.

The pages show security info, so they take sudo mode; their buttons only note a date and let
the person go on, so they don't (a lapsed sudo mode would turn "Done" into a detour).
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from organizations.policies import authentication_policy
from portal.http import PortalRequest
from portal.interrupts import continue_url
from portal.sudo import sudo_required
from security_info import registration
from security_info.apps import MUST_REGISTER_SESSION_KEY, REVIEW_SESSION_KEY
from security_info.methods import (
    KINDS,
    default_candidates,
    default_option,
    usable_at,
    user_methods,
)
from security_info.registration import Plan


def _registration(request: PortalRequest) -> dict:
    """The registration interrupt's value, as the sign-in set it ({} when none is pending)."""
    value = request.session.get(MUST_REGISTER_SESSION_KEY)
    if isinstance(value, dict):
        return value
    return {"had": [], "may_skip": False} if value else {}


def _plan(request: PortalRequest) -> Plan:
    return registration.plan(
        request.user, authentication_policy(request.user), user_methods(request)
    )


def _added(request: PortalRequest, due: dict) -> list:
    """The kinds registered since the sign-in asked, in the order Security info lists them."""
    had = set(due.get("had", []))
    now = registration.registered_keys(request.user, user_methods(request))
    return [KINDS[key] for key in now if key not in had]


@require_GET
@sudo_required
def setup(request: PortalRequest) -> HttpResponse:
    """Show the next step (the allowed methods that meet what is missing, most secure first),
    or, once nothing is, what was set up."""
    due = _registration(request)
    if not due:
        return redirect("security_info:index")
    plan = _plan(request)
    added = _added(request, due)
    if not plan.remaining:
        return _summary(request, added)
    choices = usable_at(request, plan.choices)  # no passkey where one cannot work
    steps = [{"label": kind.label, "done": True} for kind in added]
    for position in range(plan.remaining):
        sign_in_step = plan.mfa and position == 0
        steps.append(
            {
                "label": _("Sign-in method") if sign_in_step else _("Password reset method"),
                "current": position == 0,
            }
        )
    return render(
        request,
        "security_info/setup/step.html",
        {
            "steps": steps,
            "step": len(added) + 1,
            "total": len(steps),
            "intro": _intro(plan),
            "recommended": choices[0] if choices else None,
            "others": choices[1:],
            "may_skip": due.get("may_skip") and not plan.mfa,
        },
    )


def _intro(plan: Plan) -> str:
    if plan.mfa and plan.reset:
        return _(
            "Your organization requires a second way to prove who you are when you sign in, and a way to reset your password yourself if you forget it. Start with a way to sign in."
        )
    if plan.mfa:
        return _(
            "Your organization requires a second way to prove who you are when you sign in. Set one up now; it takes a minute."
        )
    return ngettext(
        "Your organization asks you to set up a way to reset your password yourself, should you forget it.",
        "Your organization asks you to set up %(count)s more ways to reset your password yourself, should you forget it.",
        plan.reset,
    ) % {"count": plan.reset}


def _summary(request: PortalRequest, added: list) -> HttpResponse:
    user = request.user
    methods = user_methods(request)
    policy = authentication_policy(user)
    rows = [row for kind in added for row in kind.rows(user, methods)]
    return render(
        request,
        "security_info/setup/summary.html",
        {
            "steps": [{"label": kind.label, "done": True} for kind in added],
            "rows": rows,
            "default": default_option(default_candidates(methods, policy), policy),
        },
    )


@require_POST
def setup_done(request: PortalRequest) -> HttpResponse:
    """Leave the wizard for where the person was going, once nothing is missing."""
    if not _registration(request):
        return redirect("security_info:index")
    if _plan(request).remaining:
        messages.error(request, _("A step is still missing. Set up the method it asks for."))
        return redirect("security_info:setup")
    registration.confirm(request, request.user)
    return redirect(continue_url(request))


@require_POST
def setup_skip(request: PortalRequest) -> HttpResponse:
    """Put registering off until the next sign-in, where the policy still allows it."""
    due = _registration(request)
    if not due:
        return redirect("security_info:index")
    if not due.get("may_skip") or _plan(request).mfa:
        messages.error(
            request, _("Your organization needs this set up now; it can't be put off any longer.")
        )
        return redirect("security_info:setup")
    registration.put_off(request, request.user)
    messages.info(request, _("We'll ask you again the next time you sign in."))
    return redirect(continue_url(request))


@require_GET
@sudo_required
def review(request: PortalRequest) -> HttpResponse:
    """List the person's methods and ask whether they are still right."""
    if not request.session.get(REVIEW_SESSION_KEY):
        return redirect("security_info:index")
    user = request.user
    methods = user_methods(request)
    policy = authentication_policy(user)
    return render(
        request,
        "security_info/setup/review.html",
        {
            "rows": [row for kind in KINDS.values() for row in kind.rows(user, methods)],
            "default": default_option(default_candidates(methods, policy), policy),
        },
    )


@require_POST
def review_confirm(request: PortalRequest) -> HttpResponse:
    """ "Looks good": note the date, and go on to where the person was going."""
    if not request.session.get(REVIEW_SESSION_KEY):
        return redirect("security_info:index")
    registration.confirm(request, request.user)
    return redirect(continue_url(request))

"""The Security info page, deleting a method, and choosing the default."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from organizations.policies import authentication_policy
from portal.http import PortalRequest
from portal.sudo import sudo_required
from security_info.apps import MUST_REGISTER_SESSION_KEY, REVIEW_SESSION_KEY
from security_info.forms import OptionForm
from security_info.kinds import Action, Row
from security_info.methods import (
    KINDS,
    addable,
    default_candidates,
    default_option,
    get_method_for_user,
    kind_of,
    user_methods,
)
from security_info.services import MethodLocked, delete_method, set_default


@require_GET
@sudo_required
def index(request: PortalRequest) -> HttpResponse:
    if request.session.get(MUST_REGISTER_SESSION_KEY):
        # While "Keep your account secure" is under way, every flow that ends here (a method
        # added, cancelled or refused) goes on with its next step instead.
        return redirect("security_info:setup")
    user = request.user
    policy = authentication_policy(user)
    methods = user_methods(request)
    options = default_candidates(methods, policy)
    default = default_option(options, policy)
    rows_by_kind = {key: kind.rows(user, methods) for key, kind in KINDS.items()}
    rows = [password_row(user), *(row for rows in rows_by_kind.values() for row in rows)]
    counts = {key: KINDS[key].count(kind_rows) for key, kind_rows in rows_by_kind.items()}
    return render(
        request,
        "security_info/index.html",
        {
            "rows": rows,
            "notices": [row.notice for row in rows if row.notice],
            "default": default,
            "can_pick_default": len(options) > 1 and not policy.system_preferred,
            "system_preferred": policy.system_preferred,
            "addable": addable(user, policy, counts),
            # Came here from the review to change something: the way back to confirm it.
            "review_pending": bool(request.session.get(REVIEW_SESSION_KEY)),
        },
    )


def password_row(user) -> Row:
    """The password heads the list, though it is changed on its own page."""
    changed_at = user.password_changed_at
    detail = (
        _("Last changed %(date)s") % {"date": date_format(localtime(changed_at), "DATE_FORMAT")}
        if changed_at
        else ""
    )
    return Row(
        kind=_("Password"), detail=detail, actions=[Action(_("Change"), reverse("password:change"))]
    )


@require_http_methods(["GET", "POST"])
@sudo_required
def delete(request: PortalRequest, pk) -> HttpResponse:
    """Confirm, then delete one method (an outsider's id is a 404)."""
    method = get_method_for_user(request.user, pk)
    if request.method == "POST":
        try:
            delete_method(request, method)
        except MethodLocked as e:
            messages.error(request, str(e))
            return redirect("security_info:index")
        messages.success(request, _("%(method)s deleted.") % {"method": method.get_kind_display()})
        return redirect("security_info:index")
    context = {"method": method, "notes": kind_of(method).delete_notes}
    return render(request, "security_info/delete.html", context)


@require_http_methods(["GET", "POST"])
@sudo_required
def change_default(request: PortalRequest) -> HttpResponse:
    user = request.user
    policy = authentication_policy(user)
    options = default_candidates(user_methods(request), policy)
    current = default_option(options, policy)
    form = OptionForm(
        options, request.POST or None, initial={"option": current.key if current else None}
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen
        set_default(request, user, chosen)
        messages.success(
            request, _("Default sign-in method changed to: %(option)s") % {"option": chosen.label}
        )
        return redirect("security_info:index")
    return render(request, "security_info/default.html", {"form": form, "options": options})

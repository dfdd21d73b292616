"""The Security info page, deleting a method, and choosing the default."""

from babel.lists import format_list
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from organizations.policies import authentication_policy
from portal.http import PortalRequest
from portal.sudo import sudo_required
from security_info.apps import MUST_REGISTER_SESSION_KEY, REVIEW_SESSION_KEY
from security_info.forms import OptionForm
from security_info.kinds import Action, Row, action
from security_info.methods import (
    KINDS,
    addable,
    default_candidates,
    default_no_longer_allowed,
    default_option,
    get_method_for_user,
    kind_of,
    user_methods,
    why_undeletable,
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
    explain_undeletable(rows, methods, policy)
    if not policy.system_preferred:
        mark_default(rows, default)
    notices = [row.notice for row in rows if row.notice]
    notices += [notice for notice in [default_notice(methods, policy, default)] if notice]
    counts = {key: KINDS[key].count(kind_rows) for key, kind_rows in rows_by_kind.items()}
    offered = addable(request, policy, counts)
    return render(
        request,
        "security_info/index.html",
        {
            "rows": rows,
            "notices": notices,
            "default": default,
            "no_default_allowed": default is None and any(m.is_default for m in methods),
            "can_pick_default": len(options) > 1 and not policy.system_preferred,
            "system_preferred": policy.system_preferred,
            "addable": [row["type"] for row in offered if not row["full"]],
            # Kinds at their limit, named once in a quiet line rather than each refused.
            "set_up": format_list(
                [str(row["type"].label) for row in offered if row["full"]],
                locale=to_locale(get_language() or "en"),
            ),
            # Came here from the review to change something: the way back to confirm it.
            "review_pending": bool(request.session.get(REVIEW_SESSION_KEY)),
        },
    )


def mark_default(rows: list[Row], default) -> None:
    """Put the Default badge where sign-ins ask first: on the user's choice, or on the method
    that stands in for it when the policy no longer lets that one be the default."""
    for row in rows:
        if row.method_id is not None:
            row.is_default = default is not None and row.method_id == default.method.pk


def default_notice(methods, policy, default) -> str:
    """Say so when the user's chosen default is of a kind the policy no longer allows."""
    stale = default_no_longer_allowed(methods, policy)
    if stale is None:
        return ""
    if default is not None:
        return _(
            "Your organization no longer lets %(kind)s be the default sign-in method. Until "
            "you choose another, we ask for your strongest method that may be: %(option)s."
        ) % {"kind": stale.get_kind_display(), "option": default.label}
    allowed = [str(KINDS[key].label) for key in policy.default_method_kinds if key in KINDS]
    return _(
        "Your organization no longer lets %(kind)s be the default sign-in method. Add a "
        "method that can be: %(allowed)s."
    ) % {"kind": stale.get_kind_display(), "allowed": ", ".join(allowed)}


def password_row(user) -> Row:
    """The password heads the list, though it is changed on its own page."""
    changed_at = user.password_changed_at
    detail = (
        _("Last changed %(date)s") % {"date": date_format(localtime(changed_at), "DATE_FORMAT")}
        if changed_at
        else ""
    )
    change = action(_("Change"), reverse("password:change"), _("password"))
    return Row(kind=_("Password"), detail=detail, actions=[change])


def explain_undeletable(rows: list[Row], methods, policy) -> None:
    """Turn "Delete" on a method that cannot be deleted now into a link to why, before anyone
    confirms anything (the delete page says why, and how to get there)."""
    by_pk = {method.pk: method for method in methods}
    for row in rows:
        method = by_pk.get(row.method_id)
        if method is None or not why_undeletable(method, methods, policy):
            continue
        delete_url = reverse("security_info:delete", args=[method.pk])
        row.actions = [
            Action(_("Why can't I delete it?"), link.url) if link.url == delete_url else link
            for link in row.actions
        ]


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
    kind = kind_of(method)
    blocked = why_undeletable(method, user_methods(request), authentication_policy(request.user))
    context = {
        "method": method,
        "detail": kind.detail(method),
        "notes": kind.delete_notes,
        "blocked": blocked,
    }
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

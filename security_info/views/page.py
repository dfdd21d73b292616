"""The Security info page, deleting a method, and choosing the default."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from organizations.models import get_policy
from portal.http import PortalRequest
from security_info.apps import SETUP_DONE_SESSION_KEY
from security_info.forms.common import OptionForm
from security_info.methods import METHOD_TYPES, default_option, sign_in_options
from security_info.models import (
    AppPassword,
    Method,
    RecoveryCode,
    SecurityAnswer,
    TemporaryAccessPass,
)
from security_info.services import (
    MethodLocked,
    delete_method,
    get_method_for_user,
    method_types_for,
    set_default,
    user_methods,
)
from security_info.sudo import sudo_required


@require_GET
@sudo_required
def index(request: PortalRequest) -> HttpResponse:
    user = request.user
    policy = get_policy(user)
    methods = user_methods(request)
    options = [o for o in sign_in_options(methods, policy) if o.method.kind != Method.Kind.EMAIL]
    if request.session.pop(SETUP_DONE_SESSION_KEY, False) and options:
        messages.success(
            request,
            _("You're all set. Next time you sign in, we'll ask for: %(option)s")
            % {"option": default_option(options, policy).label},
        )
    app_passwords = list(AppPassword.objects.filter(user=user))
    answers = SecurityAnswer.objects.filter(user=user).count()
    codes_left = RecoveryCode.objects.filter(user=user, used_at=None).count()
    temporary_pass = TemporaryAccessPass.objects.filter(user=user).first()
    counts = {kind: sum(m.kind == kind for m in methods) for kind in Method.Kind.values}
    counts |= {
        "security_questions": int(answers > 0),
        "app_password": len(app_passwords),
        "recovery_codes": int(codes_left > 0),
    }
    return render(
        request,
        "security_info/index.html",
        {
            "rows": method_rows(
                methods,
                app_passwords,
                answers,
                codes_left,
                temporary_pass,
                password_changed_at=user.password_changed_at,
            ),
            "default": default_option(options, policy),
            "can_pick_default": len(options) > 1 and not policy.system_preferred,
            "system_preferred": policy.system_preferred,
            "only_temporary_pass": temporary_pass is not None and not methods,
            "codes_running_low": 0 < codes_left <= 2,
            "addable": method_types_for(user, policy, counts),
        },
    )


def method_rows(
    methods, app_passwords, answers, codes_left, temporary_pass, password_changed_at=None
) -> list[dict]:
    """Describe each registered method as a row: what it is, its detail, and its actions."""
    rows = [
        {
            "kind": _("Password"),
            "detail": _("Last changed %(date)s")
            % {"date": date_format(localtime(password_changed_at), "DATE_FORMAT")}
            if password_changed_at
            else "",
            "actions": [(_("Change"), reverse("security_info:change_password"), "")],
        }
    ]
    for method in methods:
        change = METHOD_TYPES[method.kind].change_url_name
        actions = []
        if change:
            label = _("Rename") if method.kind == Method.Kind.PASSKEY else _("Change")
            actions.append((label, reverse(change, args=[method.pk]), method.detail))
        actions.append(
            (_("Delete"), reverse("security_info:delete", args=[method.pk]), method.detail)
        )
        rows.append(
            {
                "kind": method.get_kind_display(),
                "is_default": method.is_default,
                "detail": method.detail,
                "added": method.created_at,
                "used": method.last_used_at,
                "show_dates": True,
                "actions": actions,
            }
        )
    if answers:
        rows.append(
            {
                "kind": _("Security questions"),
                "detail": ngettext(
                    "%(count)s question answered", "%(count)s questions answered", answers
                )
                % {"count": answers},
                "actions": [
                    (
                        _("Delete"),
                        reverse("security_info:delete_security_questions"),
                        _("security questions"),
                    )
                ],
            }
        )
    for app_password in app_passwords:
        rows.append(
            {
                "kind": _("App password"),
                "detail": app_password.name,
                "added": app_password.created_at,
                "used": app_password.last_used_at,
                "show_dates": True,
                "actions": [
                    (
                        _("Delete"),
                        reverse("security_info:delete_app_password", args=[app_password.pk]),
                        app_password.name,
                    )
                ],
            }
        )
    if codes_left:
        rows.append(
            {
                "kind": _("Recovery codes"),
                "detail": ngettext("%(count)s code left", "%(count)s codes left", codes_left)
                % {"count": codes_left},
                "actions": [
                    (_("Manage"), reverse("security_info:recovery_codes"), _("recovery codes"))
                ],
            }
        )
    if temporary_pass:
        rows.append(
            {
                "kind": _("Temporary Access Pass"),
                "detail": _("Expires %(when)s")
                % {"when": date_format(localtime(temporary_pass.expires_at), "DATETIME_FORMAT")},
                "actions": [
                    (
                        _("Delete"),
                        reverse("security_info:delete_temporary_pass"),
                        _("Temporary Access Pass"),
                    )
                ],
            }
        )
    return rows


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
    return render(request, "security_info/delete.html", {"method": method})


@require_http_methods(["GET", "POST"])
@sudo_required
def change_default(request: PortalRequest) -> HttpResponse:
    user = request.user
    policy = get_policy(user)
    options = [
        o
        for o in sign_in_options(Method.objects.filter(user=user), policy)
        if o.method.kind != Method.Kind.EMAIL
    ]
    current = default_option(options, policy)
    form = OptionForm(
        options, request.POST or None, initial={"option": current.key if current else None}
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen
        set_default(request, user, chosen.method, chosen.channel)
        messages.success(
            request, _("Default sign-in method changed to: %(option)s") % {"option": chosen.label}
        )
        return redirect("security_info:index")
    return render(request, "security_info/default.html", {"form": form, "options": options})

"""The user admin's password actions: a temporary password, and unlocking an account.

Admins never type a password for someone: the temporary one is made here, for one user at a
time from their page and after a confirmation, shown once, and must be replaced at the next
sign-in."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_variables

from portal.admin import extend_user_admin, manageable_users
from security_info import sign_in_locks
from security_info.models import AppPassword
from security_info.password import lockout, passwords
from security_info.password.models import Lockout
from signins.models import SecurityEvent
from signins.services import record_security_event


@admin.action(description=gettext_lazy("Reset password (temporary)"), permissions=["change"])
def reset_temporary_password(model_admin, request, queryset) -> HttpResponse | None:
    """Lead to the one user's confirmation page: nothing happens before it is confirmed."""
    if queryset.count() != 1:
        model_admin.message_user(
            request,
            _("Choose one user: a temporary password is shown once, for one person."),
            messages.ERROR,
        )
        return None
    users = list(manageable_users(model_admin, request, queryset))
    if not users:
        return None
    return redirect("admin:auth_user_password_change", users[0].pk)


@sensitive_variables("temporary")
def temporary_password_view(model_admin, request, id, form_url=""):
    """The user page's "Reset password": say what a reset does, then, once confirmed, give
    the user a random password, shown on the page that answers the POST, once. It is never
    stored: not in the URL, a message cookie or the session."""
    user = model_admin.get_object(request, unquote(id))
    if user is None:
        raise Http404
    if not model_admin.has_change_permission(request, user):
        raise PermissionDenied  # an admin account, for staff who may not manage those
    change_page = reverse("admin:portal_user_change", args=[user.pk])
    if user.pk == request.user.pk:
        model_admin.message_user(
            request,
            _("Change your own password on your Password page, not here."),
            messages.WARNING,
        )
        return redirect(change_page)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": user,
        "target": user,
        "change_page": change_page,
        "app_passwords": AppPassword.objects.filter(user=user).count(),
    }
    if request.method != "POST":
        context["title"] = _("Reset password")
        return TemplateResponse(request, "admin/password/confirm_temporary_password.html", context)
    try:
        temporary = passwords.reset_to_temporary(request, user)
    except passwords.NoTemporaryPassword:
        model_admin.message_user(
            request,
            _("No password that the policy accepts could be made. Check its banned words."),
            messages.ERROR,
        )
        return redirect(change_page)
    model_admin.log_change(request, user, _("Password reset to a temporary one."))
    context |= {
        "title": _("Temporary password"),
        "password": temporary,
        # Shown in fours, for reading out; the text itself has no gaps.
        "password_groups": [temporary[i : i + 4] for i in range(0, len(temporary), 4)],
    }
    response = TemplateResponse(request, "admin/password/temporary_password.html", context)
    add_never_cache_headers(response)
    return response


@admin.action(description=gettext_lazy("Unlock account"), permissions=["change"])
def unlock(model_admin, request, queryset) -> None:
    """End lockouts after wrong passwords or second-factor codes, and forget the failures."""
    users = manageable_users(model_admin, request, queryset)
    locked = get_user_model().objects.filter(
        Q(pk__in=Lockout.objects.filter(user__in=users).values("user"))
        | Q(pk__in=sign_in_locks.locked_users(users))
    )
    unlocked = list(locked)
    for user in unlocked:
        with transaction.atomic():
            lockout.unlock(user)
            sign_in_locks.unlock(user)
            record_security_event(request, user, SecurityEvent.Kind.ACCOUNT_UNLOCKED)
        model_admin.log_change(request, user, _("Account unlocked."))
    model_admin.message_user(
        request,
        ngettext("%(count)s account unlocked.", "%(count)s accounts unlocked.", len(unlocked))
        % {"count": len(unlocked)},
        messages.SUCCESS,
    )


extend_user_admin(actions=[reset_temporary_password, unlock], password_view=temporary_password_view)

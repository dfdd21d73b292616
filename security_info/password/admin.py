"""The user admin's password actions: a temporary password, and unlocking an account.

Admins never type a password for someone: the temporary one is made here, shown once, and must
be replaced at the next sign-in."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.admin import extend_user_admin, manageable_users
from security_info import sign_in_locks
from security_info.password import lockout, passwords
from security_info.password.models import Lockout
from signins.models import SecurityEvent
from signins.services import record_security_event


@admin.action(description=gettext_lazy("Reset password (temporary)"), permissions=["change"])
def reset_temporary_password(model_admin, request, queryset) -> HttpResponse | None:
    """Give ONE user a random password, shown on the page that answers, once; they replace it
    at sign-in. It is never stored: not in a message cookie, not in the session."""
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
    user = users[0]
    try:
        temporary = passwords.temporary_password(user)
    except passwords.NoTemporaryPassword:
        model_admin.message_user(
            request,
            _("No password that the policy accepts could be made. Check its banned words."),
            messages.ERROR,
        )
        return None
    with transaction.atomic():
        passwords.set_password(request, user, temporary, kind=SecurityEvent.Kind.PASSWORD_RESET)
        user.must_change_password = True
        user.save(update_fields=["must_change_password"])
    model_admin.log_change(request, user, _("Password reset to a temporary one."))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Temporary password"),
        "target": user,
        "password": temporary,
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


extend_user_admin(actions=[reset_temporary_password, unlock])

"""The user admin's password actions: a temporary password, and unlocking an account.

Admins never type a password for someone: the temporary one is made here, shown once, and must
be replaced at the next sign-in."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.admin import extend_user_admin
from security_info.password import passwords
from security_info.password.models import Lockout
from signins.models import SecurityEvent


@admin.action(description=gettext_lazy("Reset password (temporary)"), permissions=["change"])
def reset_temporary_password(model_admin, request, queryset) -> None:
    """Give ONE user a random password, shown here once; they replace it at sign-in."""
    users = list(queryset[:2])
    if len(users) != 1:
        model_admin.message_user(
            request,
            _("Choose one user: a temporary password is shown once, for one person."),
            messages.ERROR,
        )
        return
    user = users[0]
    try:
        temporary = passwords.temporary_password(user)
    except passwords.NoTemporaryPassword:
        model_admin.message_user(
            request,
            _("No password that the policy accepts could be made. Check its banned words."),
            messages.ERROR,
        )
        return
    with transaction.atomic():
        passwords.set_password(request, user, temporary, kind=SecurityEvent.Kind.PASSWORD_RESET)
        user.must_change_password = True
        user.save(update_fields=["must_change_password"])
    model_admin.log_change(request, user, _("Password reset to a temporary one."))
    model_admin.message_user(
        request,
        _(
            "Temporary password for %(user)s: %(password)s. Give it to them safely; it is not "
            "shown again. They must change it when they sign in."
        )
        % {"user": user.email, "password": temporary},
        messages.WARNING,
    )


@admin.action(description=gettext_lazy("Unlock account"), permissions=["change"])
def unlock(model_admin, request, queryset) -> None:
    """End lockouts after wrong passwords and forget the failures."""
    locked = get_user_model().objects.filter(
        pk__in=Lockout.objects.filter(user__in=queryset).values("user")
    )
    unlocked = list(locked)
    Lockout.objects.filter(user__in=unlocked).delete()
    for user in unlocked:
        model_admin.log_change(request, user, _("Account unlocked."))
    model_admin.message_user(
        request,
        ngettext("%(count)s account unlocked.", "%(count)s accounts unlocked.", len(unlocked))
        % {"count": len(unlocked)},
        messages.SUCCESS,
    )


extend_user_admin(actions=[reset_temporary_password, unlock])

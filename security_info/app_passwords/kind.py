from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security_info import cache
from security_info.app_passwords.passwords import LABEL, MAX_APP_PASSWORDS
from security_info.kinds import Kind, Row, action
from security_info.models import AppPassword


class AppPasswords(Kind):
    """Generated passwords for older apps that cannot ask for a second factor (see /api/)."""

    key = "app_password"
    label = LABEL
    noun = gettext_lazy("app password")
    description = gettext_lazy("A password for an older app that cannot ask for a second factor.")
    policy_flag = "allow_app_passwords"
    add_url_name = "security_info:add_app_password"
    max_count = MAX_APP_PASSWORDS
    strength = 10
    # Created under the methods a re-registration resets, so they go with them.
    cleared_by_reregistration = True

    def rows(self, user, methods) -> list[Row]:
        return [
            Row(
                kind=self.label,
                detail=app_password.name,
                actions=[
                    action(
                        _("Delete"),
                        reverse("security_info:delete_app_password", args=[app_password.pk]),
                        _("%(kind)s %(detail)s") % {"kind": self.noun, "detail": app_password.name},
                    )
                ],
                added=app_password.created_at,
                used=app_password.last_used_at,
            )
            for app_password in cache.of_user(
                user, "app_passwords", lambda: list(AppPassword.objects.filter(user=user))
            )
        ]

    def clear(self, user) -> int:
        deleted, _by_model = AppPassword.objects.filter(user=user).delete()
        return deleted

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security_info import cache
from security_info.kinds import Kind, Row, action
from security_info.models import TemporaryAccessPass


class TemporaryPass(Kind):
    """A time-limited pass an admin issues in the Django admin: people cannot add one (no
    policy flag, no add page), and it signs in on its own."""

    key = "temporary_pass"
    label = gettext_lazy("Temporary Access Pass")
    noun = gettext_lazy("Temporary Access Pass")
    description = gettext_lazy("A pass from your admin, to sign in and set up your methods.")
    sign_in_fallback = ("sign_in:temporary_pass", gettext_lazy("Use a Temporary Access Pass"))

    def rows(self, user, methods) -> list[Row]:
        temporary_pass = cache.of_user(
            user, "temporary_pass", lambda: TemporaryAccessPass.objects.filter(user=user).first()
        )
        if temporary_pass is None:
            return []
        expires = date_format(localtime(temporary_pass.expires_at), "DATETIME_FORMAT")
        delete = action(_("Delete"), reverse("security_info:delete_temporary_pass"), self.noun)
        notice = (
            _(
                "You have no sign-in method yet, only a Temporary Access Pass that expires. Add a method now."
            )
            if not methods
            else ""
        )
        return [
            Row(
                kind=self.label,
                detail=_("Expires %(when)s") % {"when": expires},
                actions=[delete],
                notice=notice,
            )
        ]

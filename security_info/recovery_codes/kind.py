from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from security_info import cache
from security_info.kinds import Kind, Row, action
from security_info.models import RecoveryCode
from security_info.recovery_codes.codes import LOW


class RecoveryCodes(Kind):
    """Ten single-use codes to print or save: a fallback at sign-in, never the default."""

    key = "recovery_codes"
    label = gettext_lazy("Recovery codes")
    noun = gettext_lazy("recovery codes")
    description = gettext_lazy(
        "Single-use codes to print or save, for when nothing else is at hand."
    )
    policy_flag = "allow_recovery_codes"
    add_url_name = "security_info:recovery_codes"
    strength = 8
    sign_in_fallback = ("sign_in:recovery_code", gettext_lazy("Use a recovery code"))

    def rows(self, user, methods) -> list[Row]:
        left = cache.of_user(
            user,
            "recovery_codes_left",
            lambda: RecoveryCode.objects.filter(user=user, used_at=None).count(),
        )
        if not left:
            return []
        detail = ngettext("%(count)s code left", "%(count)s codes left", left) % {"count": left}
        manage = action(_("Manage"), reverse("security_info:recovery_codes"), self.noun)
        notice = (
            _("You are running out of recovery codes. Create new ones before you need them.")
            if left <= LOW
            else ""
        )
        return [Row(kind=self.label, detail=detail, actions=[manage], notice=notice)]

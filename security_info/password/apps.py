from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal.interrupts import Interrupt
from portal.navigation import PortalPage, Tile

# Set at sign-in to why the password must change now: "expired" or "temporary".
MUST_CHANGE_PASSWORD_SESSION_KEY = "password.must_change"  # noqa: S105 (a key)


class PasswordConfig(AppConfig):
    """The Password page: change, policy, strength, history, expiry, lockout and reset."""

    name = "security_info.password"
    label = "password"
    verbose_name = _("Password")
    portal_pages = (
        PortalPage(
            label=_("Password"),
            url_name="password:change",
            icon="key",
            order=20,
            tile=Tile(
                description=_(
                    "Make your password stronger, or change it if someone else knows it."
                ),
                link_text=_("Change password"),
                summary="security_info.password.summaries.password_summary",
            ),
        ),
    )
    portal_interrupts = (
        # An expired or admin-given temporary password is replaced before anything else.
        Interrupt(
            session_key=MUST_CHANGE_PASSWORD_SESSION_KEY,
            url_name="password:change",
            allowed=("password:strength",),
            due="security_info.password.passwords.must_change",
            order=10,
        ),
    )

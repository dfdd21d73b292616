from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal.interrupts import Interrupt
from portal.navigation import PortalPage, Tile

MUST_REGISTER_SESSION_KEY = "security_info.must_register"
SETUP_DONE_SESSION_KEY = "security_info.setup_done"
# Set at sign-in to why the password must change now: "expired" or "temporary".
MUST_CHANGE_PASSWORD_SESSION_KEY = "security_info.must_change_password"  # noqa: S105 (a key)


class SecurityInfoConfig(AppConfig):
    name = "security_info"
    verbose_name = _("Security info")
    portal_pages = (
        PortalPage(
            label=_("Security info"),
            url_name="security_info:index",
            icon="shield",
            order=10,
            tile=Tile(
                description=_("Keep your verification methods and security info up to date."),
                link_text=_("Update info"),
                summary="security_info.summaries.overview_summary",
            ),
        ),
        PortalPage(
            label=_("Password"),
            url_name="security_info:change_password",
            icon="key",
            order=20,
            tile=Tile(
                description=_(
                    "Make your password stronger, or change it if someone else knows it."
                ),
                link_text=_("Change password"),
                summary="security_info.summaries.password_summary",
            ),
        ),
    )
    portal_interrupts = (
        # An expired or admin-given temporary password is replaced before anything else.
        Interrupt(
            session_key=MUST_CHANGE_PASSWORD_SESSION_KEY,
            url_name="security_info:change_password",
            allowed=("security_info:password_strength",),
        ),
        # Policy requires multi-factor sign-in and the user has no method yet: "Keep your
        # account secure" comes next (the Security info pages stay open to do it).
        Interrupt(
            session_key=MUST_REGISTER_SESSION_KEY,
            url_name="security_info:setup",
            allowed=("security_info:",),
        ),
    )

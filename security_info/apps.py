from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal.interrupts import Interrupt
from portal.navigation import PortalPage, Tile

MUST_REGISTER_SESSION_KEY = "security_info.must_register"
SETUP_DONE_SESSION_KEY = "security_info.setup_done"


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
    )
    portal_interrupts = (
        # Policy requires multi-factor sign-in and the user has no method yet: "Keep your
        # account secure" comes next (the Security info pages stay open to do it).
        Interrupt(
            session_key=MUST_REGISTER_SESSION_KEY,
            url_name="security_info:setup",
            allowed=("security_info:",),
            due="security_info.methods.must_register",
            order=20,
        ),
    )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal.navigation import PortalPage


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")
    portal_pages = (
        PortalPage(label=_("Overview"), url_name="portal:overview", icon="home", order=0),
    )

    def ready(self) -> None:
        from portal import checks  # noqa: F401, PLC0415 (registers the system checks)

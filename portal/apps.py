from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal.navigation import PortalPage


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")
    portal_pages = (
        PortalPage(label=_("Overview"), url_name="portal:overview", icon="home", order=0),
    )

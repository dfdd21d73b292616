from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
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
        from portal.sessions import note_sign_in  # noqa: PLC0415 (once the apps are loaded)

        # Every way of signing in ends in Django's login(): the session's clocks start there.
        user_logged_in.connect(note_sign_in, dispatch_uid="portal.sessions")

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
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
        check_tasks_backend()


def check_tasks_backend() -> None:
    """Refuse to start with a TASKS_BACKEND that is not a task backend, naming the variable,
    instead of failing every send later with Django's "Could not find backend"."""
    from django.tasks.backends.base import BaseTaskBackend  # noqa: PLC0415 (once apps load)

    path: str = settings.TASKS_BACKEND
    try:
        backend = import_string(path)
    except ImportError as e:
        raise ImproperlyConfigured(f"TASKS_BACKEND: cannot load {path!r} ({e})") from None
    if not (isinstance(backend, type) and issubclass(backend, BaseTaskBackend)):
        raise ImproperlyConfigured(f"TASKS_BACKEND: {path!r} is not a task backend")

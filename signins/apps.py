from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninsConfig(AppConfig):
    name = "signins"
    verbose_name = _("Sign-ins")

    def ready(self) -> None:
        from portal.delivery import delivery_failed  # noqa: PLC0415 (once the apps are loaded)
        from signins.services import settle_failed_send  # noqa: PLC0415

        delivery_failed.connect(settle_failed_send, dispatch_uid="signins.failed_send")

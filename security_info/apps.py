from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal.interrupts import Interrupt
from portal.navigation import PortalPage, Tile

MUST_REGISTER_SESSION_KEY = "security_info.must_register"
SETUP_DONE_SESSION_KEY = "security_info.setup_done"


class SecurityInfoConfig(AppConfig):
    name = "security_info"
    verbose_name = _("Security info")
    # The kinds of sign-in method, in the order the page lists them and the add list offers
    # them (security_info.methods loads them).
    method_kinds = (
        "security_info.passkeys.kind.Passkey",
        "security_info.authenticator.kind.Authenticator",
        "security_info.phones.kind.MobilePhone",
        "security_info.phones.kind.AlternatePhone",
        "security_info.phones.kind.OfficePhone",
        "security_info.email.kind.Email",
        "security_info.security_questions.kind.SecurityQuestions",
        "security_info.app_passwords.kind.AppPasswords",
        "security_info.recovery_codes.kind.RecoveryCodes",
        "security_info.temporary_pass.kind.TemporaryPass",
    )
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

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from portal.interrupts import Interrupt
from portal.navigation import PortalPage, Tile

MUST_REGISTER_SESSION_KEY = "security_info.must_register"
REVIEW_SESSION_KEY = "security_info.review"


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
        # "Keep your account secure": methods that multi-factor sign-in or password reset
        # needs and the person lacks (security_info.registration says when). The add flows
        # stay open, in the wizard's layout; Security info's own page sends back to the wizard
        # meanwhile, so every flow that ends there (added, cancelled, refused) comes back to
        # the next step.
        Interrupt(
            session_key=MUST_REGISTER_SESSION_KEY,
            url_name="security_info:setup",
            allowed=("security_info:",),
            due="security_info.registration.registration_due",
            order=20,
            layout="security_info/setup/layout.html",
        ),
        # Every so many days: "Is your security info still right?" (Security info stays open
        # to change it).
        Interrupt(
            session_key=REVIEW_SESSION_KEY,
            url_name="security_info:review",
            allowed=("security_info:",),
            due="security_info.registration.review_due",
            order=30,
        ),
    )

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, override
from django.utils.translation import gettext_lazy as _


class SignInEventQuerySet(models.QuerySet):
    def for_user(self, user) -> "SignInEventQuerySet":
        """Return the user's events, newest first (the order the activity index serves)."""
        return self.filter(user=user).order_by("-created_at", "-id")


class SignInEvent(models.Model):
    """One attempt to sign in, whatever its outcome.

    Failures for addresses that match no account are kept too (with `user` empty and the
    address as typed), so admins see password-spraying against unknown names.
    """

    class Result(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")
        # The password was right, and the second step was cancelled, abandoned or expired.
        INTERRUPTED = "interrupted", _("Interrupted")

    class Reason(models.TextChoices):
        NONE = "", _("—")
        WRONG_PASSWORD = "wrong_password", _("Wrong password")
        UNKNOWN_ACCOUNT = "unknown_account", _("Unknown account")
        INACTIVE_ACCOUNT = "inactive_account", _("Account disabled")
        RATE_LIMITED = "rate_limited", _("Too many attempts")
        LOCKED_OUT = "locked_out", _("Account locked")
        INVALID_CODE = "invalid_code", _("Invalid code")
        EXPIRED_CODE = "expired_code", _("Expired code")
        TOO_MANY_CODES = "too_many_codes", _("Too many wrong codes")
        SEND_FAILED = "send_failed", _("Code could not be sent")
        INVALID_CREDENTIAL = "invalid_credential", _("Passkey not accepted")
        WRONG_TEMPORARY_PASS = "wrong_temporary_pass", _("Wrong Temporary Access Pass")
        # The right pass, after its lifetime, or a single-use one a second time.
        SPENT_TEMPORARY_PASS = "spent_temporary_pass", _("Temporary Access Pass expired or used")
        BLOCKED_PASSKEY = "blocked_passkey", _("Passkey model blocked by the organization")
        CALL_NOT_APPROVED = "call_not_approved", _("Call not approved")
        CALL_REPORTED = "call_reported", _("Call reported as unexpected")

    class App(models.TextChoices):
        PORTAL = "portal", _("My Account")
        ADMIN = "admin", _("Admin site")
        API = "api", _("API (app password)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sign_in_events",
    )
    # The address as typed (lower-cased), kept also when it matches no account.
    email = models.CharField(_("email address"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    result = models.CharField(_("result"), max_length=16, choices=Result)
    reason = models.CharField(_("failure reason"), max_length=32, choices=Reason, blank=True)
    app = models.CharField(_("application"), max_length=16, choices=App, default=App.PORTAL)
    # How the first factor was given: "password", "passkey", "temporary_pass", "app_password".
    method = models.CharField(_("method"), max_length=32, blank=True)
    # The second factor asked for, as "<method kind>" or "<method kind>:<channel>", e.g.
    # "authenticator", "mobile_phone:sms", "recovery_code". Empty when none was asked.
    second_factor = models.CharField(_("second factor"), max_length=32, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code.")
    )
    browser = models.CharField(_("browser"), max_length=64, blank=True)
    os = models.CharField(_("operating system"), max_length=64, blank=True)
    device = models.CharField(_("device type"), max_length=16, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)

    objects = SignInEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-in event")
        verbose_name_plural = _("sign-in events")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The user's recent activity, paginated by keyset on (created_at, id).
            models.Index(fields=["user", "-created_at", "-id"], name="signin_user_recent"),
            # The admin's log across all users, and pruning by age.
            models.Index(fields=["-created_at", "-id"], name="signin_recent"),
            # Attempts against one address (unknown accounts, spraying) in the admin.
            models.Index(fields=["email", "-created_at"], name="signin_email_recent"),
            models.Index(fields=["ip", "-created_at"], name="signin_ip_recent"),
        ]

    def __str__(self) -> str:
        who = self.user or self.email or _("unknown")
        return f"{who} {self.get_result_display()} {self.created_at:%Y-%m-%d %H:%M}"


class SecurityEvent(models.Model):
    """A change to how someone signs in: a method added, changed, removed, a new default."""

    class Kind(models.TextChoices):
        METHOD_ADDED = "method_added", _("Sign-in method added")
        METHOD_CHANGED = "method_changed", _("Sign-in method changed")
        METHOD_DELETED = "method_deleted", _("Sign-in method deleted")
        DEFAULT_CHANGED = "default_changed", _("Default sign-in method changed")
        RECOVERY_CODES_CREATED = "recovery_codes_created", _("Recovery codes created")
        METHODS_RESET = "methods_reset", _("Sign-in methods reset by an admin")
        TEMPORARY_PASS_ISSUED = "temporary_pass_issued", _("Temporary access pass issued")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        ACCOUNT_UNLOCKED = "account_unlocked", _("Account unlocked by an admin")
        SIGN_IN_LOCKED = "sign_in_locked", _("Sign-in locked after too many wrong codes")
        APP_PASSWORDS_REVOKED = "app_passwords_revoked", _("App passwords stopped working")
        CALL_REPORTED = "call_reported", _("A sign-in call was reported as unexpected")
        PHONE_UNBLOCKED = "phone_unblocked", _("Phone number unblocked by an admin")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_events"
    )
    kind = models.CharField(_("what"), max_length=32, choices=Kind)
    # The particulars, worded only when shown (in the reader's language): see `detail`. Labels
    # are kept as {"msgid": …}, their untranslated text; numbers and names as they are.
    params = models.JSONField(_("particulars"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    browser = models.CharField(_("browser"), max_length=128, blank=True)
    # Who did it when it was not the user (an admin).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="security_event_user_recent")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def storable(params: dict) -> dict:
        """Keep lazy labels as their untranslated text, to be translated when shown."""
        with override(None):
            return {
                key: _storable(value) for key, value in params.items() if value not in (None, "")
            }

    @property
    def detail(self) -> str:
        """Word the particulars in the active language, e.g. "Phone: +44 7700 900123"."""
        params = {key: _shown(value) for key, value in self.params.items()}
        if "text" in params:  # recorded before events kept their particulars apart
            return str(params["text"])
        if self.kind == self.Kind.TEMPORARY_PASS_ISSUED and "minutes" in params:
            if params.get("one_time"):
                return gettext("valid for %(minutes)s minutes, single use") % params
            return gettext("valid for %(minutes)s minutes") % params
        if self.kind == self.Kind.APP_PASSWORDS_REVOKED and "count" in params:
            return ngettext(
                "%(count)s app password deleted", "%(count)s app passwords deleted", params["count"]
            ) % {"count": params["count"]}
        if self.kind == self.Kind.SIGN_IN_LOCKED and "failures" in params:
            return (
                ngettext(
                    "%(failures)s wrong code in a row",
                    "%(failures)s wrong codes in a row",
                    params["failures"],
                )
                % params
            )
        if self.kind == self.Kind.METHODS_RESET and "cleared" in params:
            if not params["cleared"]:
                return gettext("nothing to delete")
            return ", ".join(
                gettext("%(method)s: %(count)s deleted") % {"method": label, "count": count}
                for label, count in params["cleared"]
            )
        if "method" in params and "channel" in params and "detail" in params:
            return gettext("%(method)s, %(channel)s: %(detail)s") % params
        if "method" in params and "detail" in params:
            return gettext("%(method)s: %(detail)s") % params
        return str(params.get("method", ""))


def _storable(value):
    if isinstance(value, Promise):
        return {"msgid": str(value)}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


def _shown(value):
    if isinstance(value, dict) and "msgid" in value:
        return gettext(value["msgid"])
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value

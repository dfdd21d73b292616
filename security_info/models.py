"""The sign-in methods people register, and the secrets behind them.

Secrets never sit in the database in the clear: authenticator seeds are encrypted with
FIELD_ENCRYPTION_KEY (see `portal.crypto`); answers, app passwords, recovery codes
and passes are stored only as hashes.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.caching import CachedRows
from portal.fields import DigestField, EncryptedTextField


class Method(CachedRows):
    """One registered way to prove who you are: an app, a phone, an email address, a key."""

    cache_generation = "security:{user_id}"  # security_info/cache.py

    class Kind(models.TextChoices):
        AUTHENTICATOR = "authenticator", _("Authenticator app")
        MOBILE_PHONE = "mobile_phone", _("Phone")
        ALTERNATE_PHONE = "alternate_phone", _("Alternate phone")
        OFFICE_PHONE = "office_phone", _("Office phone")
        EMAIL = "email", _("Email")
        PASSKEY = "passkey", _("Passkey")

    class Channel(models.TextChoices):
        """How a code reaches the person: for phones, by text or by call."""

        NONE = "", _("—")
        SMS = "sms", _("Text message")
        VOICE = "voice", _("Phone call")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_methods"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    name = models.CharField(
        _("name"), max_length=64, blank=True, help_text=_("The app's or key's name.")
    )
    # Phones: E.164 number; office phones may carry an extension.
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    # Authenticator apps: the Fernet-encrypted base32 seed, and the last accepted time step
    # (a code at or before it is never accepted again).
    secret = EncryptedTextField(_("encrypted secret"), blank=True)
    last_step = models.BigIntegerField(null=True, blank=True)
    # Passkeys: the credential id (base64url), the fido2 AttestedCredentialData (base64url),
    # the signature counter, and whether it can sign in without a password.
    credential_id = models.CharField(max_length=1400, blank=True)
    credential = models.TextField(blank=True)
    sign_count = models.PositiveBigIntegerField(default=0)
    passwordless = models.BooleanField(default=False)
    # The make and model the passkey said it is (its authenticator's AAGUID; all zeros when
    # it would not say), which the policy's key restrictions allow or block.
    aaguid = models.UUIDField(_("model (AAGUID)"), null=True, blank=True)
    # The default method is challenged first at sign-in; `channel` says text or call.
    is_default = models.BooleanField(_("default"), default=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in method")
        verbose_name_plural = _("sign-in methods")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="method_one_default"
            ),
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=Q(kind__in=["mobile_phone", "alternate_phone", "office_phone", "email"]),
                name="method_one_phone_or_email_of_a_kind",
            ),
            models.UniqueConstraint(
                fields=["credential_id"],
                condition=~Q(credential_id=""),
                name="method_credential_unique",
            ),
        ]
        indexes = [models.Index(fields=["user", "kind"], name="method_user_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.detail})"

    @property
    def detail(self) -> str:
        """What the owner recognizes the method by: a number, an address or a name."""
        if self.phone:
            return f"{self.phone} ext. {self.extension}" if self.extension else self.phone
        return self.email or self.name


class SecurityQuestion(models.Model):
    """A question in the pool people pick their security questions from (admin-managed)."""

    text = models.CharField(_("question"), max_length=200, unique=True)
    is_active = models.BooleanField(
        _("offered"),
        default=True,
        help_text=_("Retired questions stay valid for who answered them."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("security question")
        verbose_name_plural = _("security questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class SecurityAnswer(CachedRows):
    """One of a user's answers, stored only as a password hash of its normalized form."""

    cache_generation = "security:{user_id}"  # security_info/cache.py

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_answers"
    )
    question = models.ForeignKey(SecurityQuestion, on_delete=models.PROTECT)
    answer_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="answer_once_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.question}"


class AppPassword(CachedRows):
    """A generated password for one app that cannot do multi-factor sign-in."""

    cache_generation = "security:{user_id}"  # security_info/cache.py

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_passwords"
    )
    name = models.CharField(_("name"), max_length=64)
    # Keyed hash of the generated password: it is random and long, so a fast hash suffices
    # and lets a sign-in find the row directly.
    digest = DigestField(unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("app password")
        verbose_name_plural = _("app passwords")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class RecoveryCode(CachedRows):
    """A single-use code for when no other method is at hand."""

    cache_generation = "security:{user_id}"  # security_info/cache.py

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = DigestField()
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: recovery code {'used' if self.used_at else 'unused'}"


class TemporaryAccessPass(CachedRows):
    """A time-limited pass an admin issues so someone can sign in and register a method."""

    cache_generation = "security:{user_id}"  # security_info/cache.py

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="temporary_access_pass"
    )
    digest = DigestField()
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    one_time = models.BooleanField(_("single use"), default=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("temporary access pass")
        verbose_name_plural = _("temporary access passes")

    def __str__(self) -> str:
        return str(_("Temporary access pass of %(user)s") % {"user": self.user})

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.expires_at > now and not (self.one_time and self.used_at)


class SecondFactorFailures(models.Model):
    """Wrong second-factor codes in a row for one account, from anywhere; past the limit the
    second step is locked until a password reset or an admin unlocks it (NIST SP 800-63B)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="second_factor_failures",
    )
    failures = models.PositiveIntegerField(default=0)
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)

    class Meta:
        verbose_name = _("second-factor failures")
        verbose_name_plural = _("second-factor failures")

    def __str__(self) -> str:
        return f"{self.user}: {self.failures} wrong codes in a row"


class PhoneCall(models.Model):
    """A call that asks the person to approve (press #) or to report it (press 0).

    Twilio's callbacks find it by a random token in their URLs, kept here only as a keyed
    hash; the browser waiting on it reads its state by its id, which only the session that
    asked for the call holds (security_info.calls).
    """

    class State(models.TextChoices):
        CALLING = "calling", _("Calling")
        APPROVED = "approved", _("Approved")
        USED = "used", _("Approved and used")
        REPORTED = "reported", _("Reported as unexpected")
        NO_ANSWER = "no_answer", _("Not answered")
        BUSY = "busy", _("Line busy")
        ENDED = "ended", _("Ended without approval")
        FAILED = "failed", _("Could not be placed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token_digest = DigestField(unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_calls"
    )
    purpose = models.CharField(_("purpose"), max_length=16)
    phone = models.CharField(_("phone number"), max_length=20)
    state = models.CharField(_("state"), max_length=12, choices=State, default=State.CALLING)
    # The address Twilio was given for its callbacks: their signatures are made over it.
    callback_base = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("placed"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval call")
        verbose_name_plural = _("approval calls")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_state_display()}"


class BlockedPhone(CachedRows):
    """A number someone reported a call from: it proves nothing for them until `until`."""

    cache_generation = "security:{user_id}"  # security_info/cache.py

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_phones"
    )
    phone = models.CharField(_("phone number"), max_length=20)
    blocked_at = models.DateTimeField(_("blocked"), default=timezone.now)
    until = models.DateTimeField(_("blocked until"))

    class Meta:
        verbose_name = _("blocked phone number")
        verbose_name_plural = _("blocked phone numbers")
        ordering = ["-blocked_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "phone"], name="blocked_phone_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.phone}"


class RegistrationStatus(CachedRows):
    """Where one person stands with "Keep your account secure" and the periodic review of
    their security info. Read and written at sign-in and by those pages only (the interrupts
    keep what later requests need in the session)."""

    cache_generation = "security:{user_id}"  # security_info/cache.py

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="registration_status",
    )
    # The first sign-in that asked for methods the person lacked: the window for putting it
    # off runs from here. Cleared once nothing is missing, so a later gap starts a new window.
    first_asked_at = models.DateTimeField(_("first asked to register"), null=True, blank=True)
    last_skipped_at = models.DateTimeField(_("last put off registering"), null=True, blank=True)
    # When the person last confirmed their info, or registered it in the wizard: the review
    # comes the policy's interval after this.
    last_confirmed_at = models.DateTimeField(_("last confirmed their info"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration status")
        verbose_name_plural = _("registration statuses")

    def __str__(self) -> str:
        return str(_("Registration status of %(user)s") % {"user": self.user})

import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Lower-case the whole address: people type their work address in any case."""
        return (email or "").strip().lower()

    def by_email(self, email: str):
        """Find accounts by address: stored lower-case, so this is an indexed exact match."""
        return self.filter(email=self.normalize_email(email))

    def get_by_natural_key(self, email: str | None) -> "User":
        return self.by_email(email or "").get()

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("Every account needs an email address.")
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)  # None makes the password unusable
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An employee's work or school account.

    The directory attributes (names, job, office, phones) belong to the organization: admins
    edit them in the Django admin, the portal only shows them. Language and time zone are the
    user's own preferences.
    """

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    display_name = models.CharField(_("display name"), max_length=256, blank=True)
    given_name = models.CharField(_("given name"), max_length=64, blank=True)
    surname = models.CharField(_("surname"), max_length=64, blank=True)
    job_title = models.CharField(_("job title"), max_length=128, blank=True)
    department = models.CharField(_("department"), max_length=128, blank=True)
    office_location = models.CharField(_("office location"), max_length=128, blank=True)
    business_phone = models.CharField(_("business phone"), max_length=64, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=64, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: follow the browser's language."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=time_zone_choices,
        blank=True,
        help_text=_("Empty: the organization's default time zone."),
    )
    photo = models.ImageField(_("photo"), upload_to="photos/", blank=True)

    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can sign in to the admin site.")
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Unticking this signs the user out everywhere and blocks sign-in."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    password_changed_at = models.DateTimeField(_("password last changed"), null=True, blank=True)
    # Set by an admin's temporary password: the user must choose their own at the next sign-in.
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_never_expires = models.BooleanField(
        _("password never expires"),
        default=False,
        help_text=_("Ticked: the organization's password expiry does not apply to this account."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]  # none but the email

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            (
                "manage_privileged_authentication",
                _("Can manage the methods, passes and passwords of admin accounts"),
            ),
        ]
        constraints = [
            # The login is case-insensitive, so the uniqueness must be too.
            models.UniqueConstraint(Lower("email"), name="portal_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        self.email = UserManager.normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        """Return the display name, else given name and surname, else the email address."""
        full = f"{self.given_name} {self.surname}".strip()
        return self.display_name or full or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.given_name or self.name

    @property
    def initials(self) -> str:
        """Return up to two letters for the avatar shown when there is no photo."""
        if self.given_name and self.surname:
            return (self.given_name[0] + self.surname[0]).upper()
        words = [w for w in self.name.replace("@", " ").replace(".", " ").split() if w]
        return "".join(w[0] for w in words[:2]).upper() or "?"


class Delivery(models.Model):
    """One message we owe someone (a code, a notice), and what became of it.

    The message itself is sealed with the field key and kept only until it is sent or given
    up on; the row stays as the record: to whom, by which channel, how many attempts, and
    why it failed. portal.delivery writes it; the page that asked for the send reads it.
    """

    class Channel(models.TextChoices):
        TEXT = "text", _("Text message")
        CALL = "call", _("Phone call")
        MAIL = "mail", _("Email")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Reason(models.TextChoices):
        NONE = "", _("—")
        UNREACHABLE = "unreachable", _("Provider not answering")
        REJECTED = "rejected", _("Provider refused the recipient")
        NOT_CONFIGURED = "not_configured", _("Channel not set up")
        EXPIRED = "expired", _("Could not be sent in time")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    # What it is for, in words for admins ("sign-in code", "security notice").
    purpose = models.CharField(_("purpose"), max_length=64)
    recipient = models.CharField(_("recipient"), max_length=254)
    # Who to tell when it fails for good (see portal.delivery.delivery_failed).
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    sealed_message = models.TextField(blank=True)
    # Rate-limit counts to give back if it fails (hashed keys only, see portal.ratelimits).
    charges = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status, default=Status.QUEUED, db_index=True
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason, blank=True)
    # What the provider said, for admins: an error class and code, never the message.
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    attempt_started_at = models.DateTimeField(_("last attempt started"), null=True, blank=True)
    give_up_at = models.DateTimeField(_("give up at"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        indexes = [
            # The worker's sweep: what is due or stuck, among the few unfinished rows.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="portal_delivery_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient}"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.SENT, self.Status.FAILED}


class WorkerHeartbeat(models.Model):
    """A task worker process that is alive: it touches its row while it runs."""

    worker_id = models.CharField(_("worker"), max_length=64, primary_key=True)
    queues = models.CharField(_("queues"), max_length=200)
    hostname = models.CharField(_("host"), max_length=200)
    pid = models.PositiveIntegerField(_("process"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    seen_at = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} ({self.queues})"

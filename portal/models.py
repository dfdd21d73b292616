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

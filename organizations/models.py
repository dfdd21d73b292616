import uuid
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.caching import CachedRows, CachedRowsQuerySet
from portal.sessions import SessionPolicy, default_session_policy


class Organization(CachedRows):
    """A tenant: the company or school that manages accounts, or one a user is a guest in."""

    # Every page reads its people's organization and policies from the cache (policies.py):
    # any change to an organization, its domains or policies refreshes them all.
    cache_generation = "organizations"

    name = models.CharField(_("name"), max_length=128)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    primary_domain = models.CharField(
        _("primary domain"), max_length=253, blank=True, help_text=_("For example example.com.")
    )
    privacy_statement_url = models.URLField(_("privacy statement URL"), blank=True)
    privacy_contact = models.EmailField(_("privacy contact"), blank=True)
    technical_contact = models.EmailField(_("technical contact"), blank=True)
    helpdesk_url = models.URLField(
        _("helpdesk link"), blank=True, help_text=_("Where users go when they are stuck.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def domain_names(self) -> list[str]:
        """Every domain the organization's addresses are at: the primary one, then the rest."""
        primary = [self.primary_domain.strip().lower()] if self.primary_domain.strip() else []
        return [*primary, *(domain.name for domain in self.domains.all())]


class Domain(CachedRows):
    """Another domain the organization's addresses are at (the primary one is on the
    organization). A domain belongs to one organization: it decides which policy an address
    there gets, account or not."""

    cache_generation = "organizations"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(
        _("domain"), max_length=253, unique=True, help_text=_("For example contoso.example.")
    )

    class Meta:
        verbose_name = _("additional domain")
        verbose_name_plural = _("additional domains")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name = self.name.strip().lower().rstrip(".")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.name = self.name.strip().lower().rstrip(".")
        taken = Organization.objects.filter(primary_domain__iexact=self.name)
        if self.organization_id:
            taken = taken.exclude(pk=self.organization_id)
        if taken.exists():
            raise ValidationError({"name": _("Another organization has this primary domain.")})


class MembershipQuerySet(CachedRowsQuerySet):
    def home(self) -> "MembershipQuerySet":
        return self.filter(kind=Membership.Kind.HOME)


class Membership(CachedRows):
    cache_generation = "home:{user_id}"  # the user's home organization, cached in policies.py

    class Kind(models.TextChoices):
        HOME = "home", _("Home organization")
        GUEST = "guest", _("Guest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.HOME)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)

    # CachedRows' queryset, with home().
    objects = MembershipQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["kind", "organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="organizations_membership_once"
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind="home"),
                name="organizations_membership_one_home",
                violation_error_message=_("A user has at most one home organization."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.get_kind_display()})"


def _times(value: int | None, unit: int) -> int | None:
    return None if value is None else value * unit


# A Temporary Access Pass's lifetime, as Microsoft bounds it: 10 minutes to 30 days.
PASS_MINUTES = (MinValueValidator(10), MaxValueValidator(60 * 24 * 30))

# The kinds of method that can be someone's default (what is challenged first at sign-in), by
# the keys of security_info's Method.Kind. An email code never can be.
DEFAULT_METHOD_KINDS = [
    ("passkey", _("Passkey or security key")),
    ("authenticator", _("Authenticator app")),
    ("mobile_phone", _("Mobile phone (text or call)")),
    ("alternate_phone", _("Alternate phone (call)")),
    ("office_phone", _("Office phone (call)")),
]


def all_default_method_kinds() -> list[str]:
    return [key for key, _label in DEFAULT_METHOD_KINDS]


def parse_aaguids(text: str) -> list[uuid.UUID]:
    """Read one AAGUID a line (blank lines ignored); raise ValueError naming a bad line."""
    aaguids = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            aaguids.append(uuid.UUID(line.strip()))
        except ValueError:
            raise ValueError(number, line.strip()) from None
    return aaguids


class AuthenticationPolicy(CachedRows):
    """What an organization lets its people register and requires of them at sign-in.

    Edited in the admin. A user with no home organization gets `AuthenticationPolicy()`
    unsaved, i.e. these field defaults.
    """

    cache_generation = "organizations"

    class KeyRestriction(models.TextChoices):
        NONE = "", _("Any make and model")
        ALLOW = "allow", _("Only the models listed")
        BLOCK = "block", _("Any model but those listed")

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="authentication_policy"
    )
    # Which methods people may register.
    allow_authenticator = models.BooleanField(_("authenticator app"), default=True)
    allow_sms = models.BooleanField(_("text message to a mobile phone"), default=True)
    allow_voice = models.BooleanField(_("phone call to a mobile phone"), default=True)
    allow_alternate_phone = models.BooleanField(_("alternate phone (calls)"), default=True)
    allow_office_phone = models.BooleanField(_("office phone (calls)"), default=True)
    allow_email = models.BooleanField(_("email (not the work address)"), default=True)
    allow_email_sign_in = models.BooleanField(
        _("email codes for multi-factor sign-in"),
        default=False,
        help_text=_("Off: email is used only to reset a password."),
    )
    allow_security_questions = models.BooleanField(_("security questions"), default=True)
    allow_app_passwords = models.BooleanField(_("app passwords"), default=False)
    app_passwords_survive_change = models.BooleanField(
        _("app passwords survive a password change"),
        default=False,
        help_text=_(
            "Off: a new password, chosen or reset, ends every app password. On: they end only "
            "when the password is reset (forgotten, or by an admin)."
        ),
    )
    allow_passkeys = models.BooleanField(
        _("passkeys and security keys (self-service)"), default=True
    )
    allow_recovery_codes = models.BooleanField(_("recovery codes"), default=True)
    # Sign-in.
    mfa_required = models.BooleanField(
        _("multi-factor sign-in required"),
        default=True,
        help_text=_("People without a method are asked to register one right after the password."),
    )
    system_preferred = models.BooleanField(
        _("system-preferred multi-factor"),
        default=False,
        help_text=_(
            "Challenge with the strongest registered method instead of the user's default."
        ),
    )
    remember_browser_days = models.PositiveSmallIntegerField(
        _("remember multi-factor on a browser for (days)"),
        default=0,
        validators=[MaxValueValidator(90)],
        help_text=_("0 turns it off."),
    )
    # Phone calls (to any phone method).
    call_verification = models.CharField(
        _("how a phone call verifies"),
        max_length=8,
        default="approve",
        choices=[
            ("approve", _("The person answers and presses # to approve")),
            ("code", _("The call reads a code aloud for the person to type")),
        ],
    )
    call_fraud_reports = models.BooleanField(
        _("let people report a call they didn't expect"),
        default=True,
        help_text=_(
            "With approval calls: pressing 0 denies the sign-in, blocks the number for the "
            "person's sign-ins and alerts them and the admins."
        ),
    )
    call_block_days = models.PositiveSmallIntegerField(
        _("block a reported number for (days)"),
        default=90,
        validators=[MaxValueValidator(365)],
        help_text=_("0 to 365. 0: a report denies the sign-in but blocks nothing."),
    )
    security_questions_required = models.PositiveSmallIntegerField(
        _("security questions to register"),
        default=3,
        validators=[MinValueValidator(3), MaxValueValidator(5)],
    )
    # Self-service password reset.
    reset_gates = models.PositiveSmallIntegerField(
        _("verifications needed to reset a password"),
        default=1,
        choices=[(1, _("One")), (2, _("Two"))],
    )
    reset_security_questions = models.PositiveSmallIntegerField(
        _("security questions asked at a reset"),
        default=3,
        validators=[MinValueValidator(3), MaxValueValidator(5)],
    )
    # Temporary Access Pass: the admin issuing one picks a lifetime from min to max.
    temporary_pass_minutes = models.PositiveIntegerField(
        _("default lifetime (minutes)"), default=60, validators=PASS_MINUTES
    )
    temporary_pass_min_minutes = models.PositiveIntegerField(
        _("shortest lifetime (minutes)"), default=60, validators=PASS_MINUTES
    )
    temporary_pass_max_minutes = models.PositiveIntegerField(
        _("longest lifetime (minutes)"), default=8 * 60, validators=PASS_MINUTES
    )
    temporary_pass_one_time = models.BooleanField(
        _("every pass is single-use"),
        default=True,
        help_text=_(
            "Off: the admin issuing a pass chooses between one sign-in and any number of "
            "sign-ins until it expires."
        ),
    )
    temporary_pass_length = models.PositiveSmallIntegerField(
        _("length (characters)"),
        default=8,
        validators=[MinValueValidator(8), MaxValueValidator(48)],
        help_text=_(
            "8 to 48. Passes use lower-case letters and digits without look-alikes (no 0, o, "
            "1, l or i)."
        ),
    )
    # Passkeys and security keys (FIDO2).
    passkey_attestation_required = models.BooleanField(
        _("enforce attestation"),
        default=False,
        help_text=_(
            "On: a key must prove its make and model when it is added, with an attestation "
            "signed by a certificate issued for that model (the makers' root certificates are "
            "not looked up). Most synced passkeys, in password managers and phones, send none "
            "and are refused. Off: a key's model is what the key says it is."
        ),
    )

    passkey_restriction = models.CharField(
        _("key restrictions"), max_length=8, choices=KeyRestriction, blank=True
    )
    passkey_aaguids = models.TextField(
        _("models (AAGUIDs)"),
        blank=True,
        help_text=_(
            "One AAGUID per line, as the key's maker publishes it, e.g. "
            "cb69481e-8ff7-4039-93ec-0a2729a154a8. Keys already added that the list no longer "
            "lets in can no longer sign in."
        ),
    )
    # Which kinds of method may be someone's default (challenged first at sign-in).
    default_method_kinds = models.JSONField(
        _("methods that may be the default"),
        default=all_default_method_kinds,
        help_text=_(
            "Someone whose default is not among them is asked for their strongest method that is."
        ),
    )
    # Which registered methods can prove who you are at a self-service password reset.
    reset_enabled = models.BooleanField(_("self-service password reset"), default=True)
    reset_by_email = models.BooleanField(_("reset by email code"), default=True)
    reset_by_mobile_phone = models.BooleanField(
        _("reset by text or call to the mobile phone"), default=True
    )
    reset_by_office_phone = models.BooleanField(
        _("reset by call to the office phone"), default=True
    )
    reset_by_authenticator = models.BooleanField(_("reset by authenticator app code"), default=True)
    reset_by_security_questions = models.BooleanField(
        _("reset by security questions"), default=True
    )
    # Registration for self-service password reset, checked at every sign-in (Entra's
    # "Require users to register when signing in" and its re-confirmation interval).
    # On for a new policy, as Microsoft's is: everyone can then reset their own password.
    # Policies that existed before this setting keep it off (migration 0010): turning it on
    # stops everyone short of methods at their next sign-in, which an organization should
    # choose (and announce) deliberately.
    reset_registration_required = models.BooleanField(
        _("require people to register for password reset when they sign in"),
        default=True,
        help_text=_(
            "People without enough methods for a reset are asked to add them right after "
            "signing in. Applies only while self-service password reset is on."
        ),
    )
    # Putting it off is allowed for a while only: a window from the first time someone is
    # asked, not a snooze that renews, so every account ends up able to reset.
    reset_registration_skip_days = models.PositiveSmallIntegerField(
        _("days people may put off registering"),
        default=14,
        validators=[MaxValueValidator(30)],
        help_text=_(
            "0 to 30, counted from the first time someone is asked. Meanwhile they may choose "
            "“Not now” and are asked again at the next sign-in. 0: no putting it off. "
            "Registration that multi-factor sign-in needs can never be put off."
        ),
    )
    reconfirm_days = models.PositiveSmallIntegerField(
        _("days before people are asked to confirm their info"),
        default=180,
        validators=[MaxValueValidator(730)],
        help_text=_(
            "0 to 730. After signing in, people review their security info and confirm it is "
            "still right, this long after they last did. 0: never."
        ),
    )
    # Sessions. Empty: the site's default from the settings (portal.sessions).
    session_idle_minutes = models.PositiveSmallIntegerField(
        _("sign out after inactivity (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
    )
    session_lifetime_hours = models.PositiveSmallIntegerField(
        _("session lifetime (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24)],
    )
    offer_keep_signed_in = models.BooleanField(
        _("offer “Keep me signed in”"),
        null=True,
        blank=True,
        choices=[(None, _("The site's default")), (True, _("Offered")), (False, _("Not offered"))],
    )
    keep_signed_in_days = models.PositiveSmallIntegerField(
        _("“Keep me signed in” lasts (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name = _("authentication policy")
        verbose_name_plural = _("authentication policies")

    def __str__(self) -> str:
        if self.organization_id is None:  # the defaults, for someone with no organization
            return str(_("Default authentication policy"))
        return str(
            _("Authentication policy of %(organization)s") % {"organization": self.organization}
        )

    def clean(self) -> None:
        super().clean()
        errors = self._session_errors() | self._reset_errors()
        if self.reset_security_questions > self.security_questions_required:
            errors["reset_security_questions"] = _(
                "A reset cannot ask more questions than people register."
            )
        errors |= self._temporary_pass_errors() | self._passkey_errors()
        if not isinstance(self.default_method_kinds, list) or not set(
            self.default_method_kinds
        ) <= set(all_default_method_kinds()):
            errors["default_method_kinds"] = _("Choose from the kinds listed.")
        elif not self.default_method_kinds:
            errors["default_method_kinds"] = _("Choose at least one.")
        if errors:
            raise ValidationError(errors)

    def _temporary_pass_errors(self) -> dict[str, str | Promise]:
        errors: dict[str, str | Promise] = {}
        low, default, high = (
            self.temporary_pass_min_minutes,
            self.temporary_pass_minutes,
            self.temporary_pass_max_minutes,
        )
        if None in (low, default, high):
            return errors  # the field's own error says it is missing
        if low > high:
            errors["temporary_pass_min_minutes"] = _("The shortest cannot be above the longest.")
        elif not low <= default <= high:
            errors["temporary_pass_minutes"] = _(
                "The default must be within the shortest and the longest lifetime."
            )
        return errors

    def _passkey_errors(self) -> dict[str, str | Promise]:
        try:
            aaguids = parse_aaguids(self.passkey_aaguids)
        except ValueError as e:
            number, line = e.args
            return {
                "passkey_aaguids": _(
                    "Line %(number)s, “%(line)s”, is not an AAGUID: it looks like "
                    "cb69481e-8ff7-4039-93ec-0a2729a154a8."
                )
                % {"number": number, "line": line[:60]}
            }
        if self.passkey_restriction == self.KeyRestriction.ALLOW and not aaguids:
            return {
                "passkey_aaguids": _("List the models to allow: an empty list would allow none.")
            }
        return {}

    def allows_passkey_model(self, aaguid: str) -> bool:
        """Tell whether a passkey of this model (its AAGUID; "" when unknown) may be added and
        used under the key restrictions."""
        if not self.passkey_restriction:
            return True
        try:
            listed = uuid.UUID(aaguid) in set(parse_aaguids(self.passkey_aaguids))
        except ValueError:  # no model known, or a list saved before it was checked
            listed = False
        return listed if self.passkey_restriction == self.KeyRestriction.ALLOW else not listed

    def may_be_default(self, kind: str) -> bool:
        """Tell whether a method of this kind (a Method.Kind key) may be the default."""
        return kind in self.default_method_kinds

    def reset_methods(self) -> list[str]:
        """The reset_by_* switches that can work: on, with the method itself allowed."""
        registrable = {
            "reset_by_email": self.allow_email,
            "reset_by_mobile_phone": self.allow_sms or self.allow_voice,
            "reset_by_office_phone": self.allow_office_phone,
            "reset_by_authenticator": self.allow_authenticator,
            "reset_by_security_questions": self.allow_security_questions,
        }
        return [flag for flag, allowed in registrable.items() if allowed and getattr(self, flag)]

    def _reset_errors(self) -> dict[str, str | Promise]:
        """A reset that is on must have a method for each verification it asks for; security
        questions are never the first one."""
        if not self.reset_enabled:
            return {}
        methods = self.reset_methods()
        if not methods:
            return {
                "reset_enabled": _(
                    "No method can prove who someone is: allow at least one below, and let "
                    "people register it (Methods people may register), or turn reset off."
                )
            }
        if methods == ["reset_by_security_questions"]:
            return {
                "reset_by_security_questions": _(
                    "Security questions are never asked first: allow another method as well."
                )
            }
        if self.reset_gates > len(methods):
            return {
                "reset_gates": _(
                    "Two verifications need two different methods, and only one is allowed "
                    "and registrable. Allow another method, or ask for one verification."
                )
            }
        return {}

    def _session_errors(self) -> dict[str, str | Promise]:
        """The limits this policy sets must nest: idle within the lifetime, the lifetime within
        "Keep me signed in" (checked against the site's defaults for the ones left unset)."""
        errors: dict[str, str | Promise] = {}
        limits = self.session_policy()
        if self.session_idle_minutes is not None and limits.idle_seconds > limits.absolute_seconds:
            errors["session_idle_minutes"] = _(
                "Make this shorter than the session lifetime: sessions end then anyway."
            )
        if limits.remembered_seconds < limits.absolute_seconds:
            if self.keep_signed_in_days is not None:
                errors["keep_signed_in_days"] = _(
                    "“Keep me signed in” cannot end sooner than a session without it."
                )
            elif self.session_lifetime_hours is not None:
                errors["session_lifetime_hours"] = _(
                    "Make this shorter than “Keep me signed in” lasts."
                )
        return errors

    def session_policy(self) -> SessionPolicy:
        """How long sessions last under this policy: its own values over the site's defaults."""
        own: dict[str, Any] = {
            "idle_seconds": _times(self.session_idle_minutes, 60),
            "absolute_seconds": _times(self.session_lifetime_hours, 60 * 60),
            "remember_offered": self.offer_keep_signed_in,
            "remembered_seconds": _times(self.keep_signed_in_days, 24 * 60 * 60),
        }
        return replace(
            default_session_policy(),
            **{name: value for name, value in own.items() if value is not None},
        )


class PasswordPolicy(CachedRows):
    """How an organization's passwords must look, how long they last, when accounts lock.

    A user with no home organization gets `PasswordPolicy()` unsaved: these defaults.
    """

    cache_generation = "organizations"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="password_policy"
    )
    min_length = models.PositiveSmallIntegerField(
        _("minimum length"), default=12, validators=[MinValueValidator(8), MaxValueValidator(256)]
    )
    max_length = models.PositiveSmallIntegerField(
        _("maximum length"),
        default=256,
        validators=[MinValueValidator(8), MaxValueValidator(256)],
    )
    require_lowercase = models.BooleanField(_("require a lower-case letter"), default=False)
    require_uppercase = models.BooleanField(_("require an upper-case letter"), default=False)
    require_digit = models.BooleanField(_("require a digit"), default=False)
    require_symbol = models.BooleanField(_("require a symbol"), default=False)
    # "3 of 4" complexity: the kinds required above count towards it.
    min_character_classes = models.PositiveSmallIntegerField(
        _("kinds of character needed"),
        default=0,
        validators=[MaxValueValidator(4)],
        help_text=_(
            "Out of lower-case letters, upper-case letters, digits and symbols: 3 takes any "
            "three of the four. The kinds required above count towards it. 0 turns it off."
        ),
    )
    # zxcvbn's score, 0 to 4: how long an attacker who knows common passwords, words, names,
    # keyboard patterns and the user's own details would need to guess the password.
    min_score = models.PositiveSmallIntegerField(
        _("minimum strength"),
        default=3,
        choices=[
            (0, _("Any")),
            (1, _("Weak")),
            (2, _("Fair")),
            (3, _("Strong")),
            (4, _("Very strong")),
        ],
        help_text=_(
            "As the strength meter rates a password while it is typed. Strong suits most "
            "organizations."
        ),
    )
    history_count = models.PositiveSmallIntegerField(
        _("previous passwords that cannot be reused"),
        default=1,
        validators=[MaxValueValidator(24)],
        help_text=_("0 allows reusing any earlier password."),
    )
    banned_words = models.TextField(
        _("banned words"),
        blank=True,
        help_text=_(
            "One per line, e.g. the company's products. Matched inside passwords in any case, look-alikes too (0 for o). The organization's name is always refused."
        ),
    )
    expiry_days = models.PositiveSmallIntegerField(
        _("password expires after (days)"), default=0, help_text=_("0: passwords never expire.")
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        _("wrong passwords before a lockout"),
        default=10,
        validators=[MinValueValidator(3), MaxValueValidator(100)],
    )
    lockout_seconds = models.PositiveIntegerField(
        _("first lockout lasts (seconds)"),
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60 * 60)],
        help_text=_("Each further lockout in a row lasts twice as long, up to a day."),
    )

    class Meta:
        verbose_name = _("password policy")
        verbose_name_plural = _("password policies")

    def __str__(self) -> str:
        if self.organization_id is None:  # the defaults, for someone with no organization
            return str(_("Default password policy"))
        return str(_("Password policy of %(organization)s") % {"organization": self.organization})

    def clean(self) -> None:
        super().clean()
        if self.min_length > self.max_length:
            raise ValidationError({"min_length": _("The minimum cannot be above the maximum.")})

    @property
    def banned_word_list(self) -> list[str]:
        return [word.strip().casefold() for word in self.banned_words.splitlines() if word.strip()]

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """A tenant: the company or school that manages accounts, or one a user is a guest in."""

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


class MembershipQuerySet(models.QuerySet):
    def home(self) -> "MembershipQuerySet":
        return self.filter(kind=Membership.Kind.HOME)


class Membership(models.Model):
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

    objects = MembershipQuerySet.as_manager()

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


def get_home_organization(user) -> Organization | None:
    """Return the organization that manages the user's account, if any."""
    membership = Membership.objects.home().filter(user=user).select_related("organization").first()
    return membership.organization if membership else None

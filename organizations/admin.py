from django import forms
from django.contrib import admin
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from organizations.models import (
    DEFAULT_METHOD_KINDS,
    AuthenticationPolicy,
    Domain,
    Membership,
    Organization,
    PasswordPolicy,
)
from portal.admin import CheckedAutocompleteMixin, extend_user_admin
from portal.sessions import default_session_policy


def session_help_texts() -> dict[str, str | Promise]:
    """Say each session field's range, and what leaving it empty means on this site."""
    default = default_session_policy()
    return {
        "session_idle_minutes": _(
            "5 to 1440. Signs people out after this long without using the portal. "
            "Empty: the site's default, %(minutes)d."
        )
        % {"minutes": default.idle_seconds // 60},
        "session_lifetime_hours": _(
            "1 to 168. Signs people out this long after signing in, however active. "
            "Empty: the site's default, %(hours)d."
        )
        % {"hours": default.absolute_seconds // (60 * 60)},
        "offer_keep_signed_in": _("The site's default: offered.")
        if default.remember_offered
        else _("The site's default: not offered."),
        "keep_signed_in_days": _(
            "1 to 90. With “Keep me signed in”, sessions last this long after signing in and "
            "do not end when idle. Empty: the site's default, %(days)d."
        )
        % {"days": default.remembered_seconds // (24 * 60 * 60)},
    }


class AuthenticationPolicyInline(admin.StackedInline):
    model = AuthenticationPolicy
    can_delete = False
    fieldsets = [
        (
            _("Methods people may register"),
            {
                "fields": [
                    "allow_authenticator",
                    ("allow_sms", "allow_voice"),
                    ("allow_alternate_phone", "allow_office_phone"),
                    ("allow_email", "allow_email_sign_in"),
                    "allow_security_questions",
                    ("allow_app_passwords", "app_passwords_survive_change"),
                    "allow_passkeys",
                    "allow_recovery_codes",
                ]
            },
        ),
        (
            _("Sign-in"),
            {"fields": ["mfa_required", "system_preferred", "remember_browser_days"]},
        ),
        (
            _("Phone calls"),
            {"fields": ["call_verification", "call_fraud_reports", "call_block_days"]},
        ),
        (
            _("Self-service password reset"),
            {
                "description": _(
                    "How people who forgot their password prove who they are, with the methods "
                    "they registered. A method counts only if people may also register it "
                    "(above). Security questions are never the first verification, and admin "
                    "accounts always need two verifications, whatever is chosen here."
                ),
                "fields": [
                    "reset_enabled",
                    "reset_by_email",
                    "reset_by_mobile_phone",
                    "reset_by_office_phone",
                    "reset_by_authenticator",
                    "reset_by_security_questions",
                    "reset_gates",
                    ("security_questions_required", "reset_security_questions"),
                ],
            },
        ),
        (
            _("Registration"),
            {
                "description": _(
                    "Asked right after signing in, in the “Keep your account secure” steps, "
                    "while self-service password reset is on."
                ),
                "fields": [
                    "reset_registration_required",
                    "reset_registration_skip_days",
                    "reconfirm_days",
                ],
            },
        ),
        (
            _("Temporary Access Pass"),
            {
                "description": _(
                    "The admin issuing a pass picks its lifetime between the shortest and the "
                    "longest (10 minutes to 30 days, 43200 minutes); the default is offered."
                ),
                "fields": [
                    ("temporary_pass_min_minutes", "temporary_pass_max_minutes"),
                    "temporary_pass_minutes",
                    "temporary_pass_one_time",
                    "temporary_pass_length",
                ],
            },
        ),
        (
            _("Passkeys"),
            {
                "description": _(
                    "Which passkeys and security keys may be added and used, by make and model "
                    "(AAGUID). A key that a change here no longer lets in is refused at its "
                    "next sign-in, and its owner is told on Security info."
                ),
                "fields": [
                    "passkey_attestation_required",
                    "passkey_restriction",
                    "passkey_aaguids",
                ],
            },
        ),
        (
            _("Default method"),
            {"fields": ["default_method_kinds"]},
        ),
        (
            _("Sessions"),
            {
                "description": _(
                    "A session ends when the browser closes, after the inactivity limit, or at "
                    "its lifetime, whichever comes first. “Keep me signed in” on the sign-in "
                    "page lets it outlive the browser and the inactivity limit, for its own "
                    "lifetime. A change applies to sessions already open within a minute."
                ),
                "fields": [
                    ("session_idle_minutes", "session_lifetime_hours"),
                    ("offer_keep_signed_in", "keep_signed_in_days"),
                ],
            },
        ),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "default_method_kinds":  # a list of kinds: one box for each
            return forms.MultipleChoiceField(
                label=capfirst(db_field.verbose_name),
                choices=DEFAULT_METHOD_KINDS,
                widget=forms.CheckboxSelectMultiple,
                help_text=db_field.help_text,
            )
        if db_field.name == "passkey_aaguids":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 4, "cols": 40})
        help_text = session_help_texts().get(db_field.name)
        if help_text:
            kwargs["help_text"] = help_text
        return super().formfield_for_dbfield(db_field, request, **kwargs)


PASSWORD_RULES: list[str | list[str] | tuple[str, ...] | tuple[()]] = [
    ("min_length", "max_length"),
    ("require_lowercase", "require_uppercase"),
    ("require_digit", "require_symbol"),
    "min_character_classes",
    "min_score",
    "banned_words",
    "history_count",
]


class PasswordPolicyForm(forms.ModelForm):
    class Meta:
        model = PasswordPolicy
        fields = [
            "min_length",
            "max_length",
            "require_lowercase",
            "require_uppercase",
            "require_digit",
            "require_symbol",
            "min_character_classes",
            "min_score",
            "banned_words",
            "history_count",
            "expiry_days",
            "lockout_threshold",
            "lockout_seconds",
        ]
        help_texts = {
            "min_length": _("8 to 256. Length beats complexity: 12 or more is a good minimum."),
            "max_length": _("Up to 256. Password managers make long passwords; keep this high."),
            "history_count": _(
                "1 forbids the current password; 3 the current one and the two before it; "
                "0 allows reusing any."
            ),
            "lockout_threshold": _("3 to 100 wrong passwords in a row lock the account."),
        }


class PasswordPolicyInline(admin.StackedInline):
    """The organization's password rules; left untouched, the defaults shown apply."""

    model = PasswordPolicy
    form = PasswordPolicyForm
    can_delete = False
    fieldsets = [
        (
            _("What a password must look like"),
            {
                "description": _(
                    "Checked whenever someone chooses a password: changing it, resetting it, or "
                    "an admin setting it; each broken rule gets its own message. Common "
                    "passwords and the person's own and organization's names are always "
                    "refused, look-alike characters and added digits included. Required "
                    "character classes make passwords harder to remember more than to guess: "
                    "prefer length, the minimum strength and banned words."
                ),
                "fields": PASSWORD_RULES,
            },
        ),
        (
            _("Expiry"),
            {
                "description": _(
                    "An expired password must be changed right after signing in with it. "
                    "Accounts ticked “password never expires” on their user page are exempt."
                ),
                "fields": ["expiry_days"],
            },
        ),
        (
            _("Smart lockout"),
            {
                "description": _(
                    "Wrong passwords from familiar places and from elsewhere are counted apart, "
                    "so a stranger cannot lock someone out of their usual places."
                ),
                "fields": ["lockout_threshold", "lockout_seconds"],
            },
        ),
    ]


class DomainInline(admin.TabularInline):
    """The organization's other domains: an address at any of them gets its policy."""

    model = Domain
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "primary_domain", "created_at"]
    search_fields = ["name", "slug", "primary_domain"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DomainInline, AuthenticationPolicyInline, PasswordPolicyInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # An untouched policy form is not saved: keep a row anyway, with the defaults.
        AuthenticationPolicy.objects.get_or_create(organization=form.instance)


@admin.register(Membership)
class MembershipAdmin(CheckedAutocompleteMixin, admin.ModelAdmin):
    list_display = ["user", "organization", "kind", "joined_at"]
    list_filter = ["kind", "organization"]
    search_fields = ["user__email", "user__display_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]


class MembershipInline(CheckedAutocompleteMixin, admin.TabularInline):
    """The user's organizations, on the user's admin page."""

    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


extend_user_admin(inlines=[MembershipInline])

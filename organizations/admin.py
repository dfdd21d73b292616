from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from organizations.models import AuthenticationPolicy, Membership, Organization


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
                    "allow_app_passwords",
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
            _("Self-service password reset"),
            {"fields": ["security_questions_required", "reset_gates", "reset_security_questions"]},
        ),
        (
            _("Temporary Access Pass"),
            {"fields": ["temporary_pass_minutes", "temporary_pass_one_time"]},
        ),
    ]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "primary_domain", "created_at"]
    search_fields = ["name", "slug", "primary_domain"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AuthenticationPolicyInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # An untouched policy form is not saved: keep a row anyway, with the defaults.
        AuthenticationPolicy.objects.get_or_create(organization=form.instance)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "kind", "joined_at"]
    list_filter = ["kind", "organization"]
    search_fields = ["user__email", "user__display_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from organizations.models import Membership
from portal.models import User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = [
        "email",
        "name",
        "department",
        "job_title",
        "is_active",
        "is_staff",
        "last_login",
    ]
    list_filter = [
        "is_active",
        "is_staff",
        "is_superuser",
        "memberships__organization",
        "department",
    ]
    search_fields = ["email", "display_name", "given_name", "surname", "department", "job_title"]
    ordering = ["email"]
    readonly_fields = ["last_login", "date_joined", "password_changed_at"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password", "password_changed_at", "must_change_password"]}),
        (
            _("Directory attributes"),
            {
                "description": _("Managed by the organization; the user sees them read-only."),
                "fields": [
                    "display_name",
                    ("given_name", "surname"),
                    ("job_title", "department"),
                    "office_location",
                    ("business_phone", "mobile_phone"),
                    "photo",
                ],
            },
        ),
        (_("Preferences"), {"fields": ["preferred_language", "time_zone"]}),
        (
            _("Status and permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "usable_password", "password1", "password2"],
            },
        ),
    ]

    @admin.display(description=_("name"), ordering="display_name")
    def name(self, user: User) -> str:
        return user.name

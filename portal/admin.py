"""The user admin. The page apps add to it what only they know about a user (their inlines
and actions) with `extend_user_admin()`, called from their own admin.py."""

from collections.abc import Callable, Sequence

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import User


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
    inlines: list[type[admin.options.InlineModelAdmin]] = []  # type: ignore[misc]
    actions: list[Callable] = []  # see extend_user_admin()
    fieldsets = [
        (None, {"fields": ["email", "password", "password_changed_at", "must_change_password"]}),
        (
            gettext_lazy("Directory attributes"),
            {
                "description": gettext_lazy(
                    "Managed by the organization; the user sees them read-only."
                ),
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
        (gettext_lazy("Preferences"), {"fields": ["preferred_language", "time_zone"]}),
        (
            gettext_lazy("Status and permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (gettext_lazy("Dates"), {"fields": ["last_login", "date_joined"]}),
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

    @admin.display(description=gettext_lazy("name"), ordering="display_name")
    def name(self, user: User) -> str:
        return user.name

    def user_change_password(self, request, id, form_url=""):
        """Send admins to the temporary-password action: the one path that keeps the history,
        stamps the date, ends the user's sessions, records the change and makes them choose
        their own password at the next sign-in."""
        self.message_user(
            request,
            _("To give someone a new password, select them and use “Reset password (temporary)”."),
            messages.INFO,
        )
        return redirect("admin:portal_user_changelist")


def extend_user_admin(
    *,
    inlines: Sequence[type[admin.options.InlineModelAdmin]] = (),
    actions: Sequence[Callable] = (),
) -> None:
    """Add a page app's inlines and actions (admin.action functions) to the user admin."""
    UserAdmin.inlines = [*UserAdmin.inlines, *inlines]
    UserAdmin.actions = [*UserAdmin.actions, *actions]

"""The user admin. The page apps add to it what only they know about a user (their inlines
and actions) with `extend_user_admin()`, called from their own admin.py."""

from collections.abc import Callable, Sequence

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import privilege
from portal.models import Delivery, User, WorkerHeartbeat


class CheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, showing a form again, looks the submitted ids up as they
    came: "abc" is a server error. Ids that are not ones the field could hold are dropped."""

    def optgroups(self, name, value, attr=None):
        target = self.field.remote_field.model._meta.get_field(
            getattr(self.field.remote_field, "field_name", None) or "pk"
        )
        return super().optgroups(name, [v for v in value if _is_storable(target, v)], attr)


def _is_storable(field, value) -> bool:
    try:
        number = field.to_python(value)
    except ValidationError:
        return False
    return not isinstance(number, int) or -(2**63) <= number < 2**63


class CheckedAutocompleteMixin:
    """Use CheckedAutocompleteSelect for the admin's autocomplete fields."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field,
                self.admin_site,  # type: ignore[attr-defined]
                using=kwargs.get("using"),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class PrivilegedTargetMixin:
    """For the admin of anything that is, or belongs to, a user: an admin account's are deleted
    only by someone who may manage how admins sign in (portal/privilege.py)."""

    def target_user(self, obj):
        """The user the row is about (methods, passes and app passwords: its owner)."""
        return obj.user

    def may_manage(self, request, obj) -> bool:
        return obj is None or privilege.may_manage_authentication(
            request.user, self.target_user(obj)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self.may_manage(request, obj)  # type: ignore[misc]

    def get_deleted_objects(self, objs, request):
        """Refuse a bulk delete that includes what the actor may not manage."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(  # type: ignore[misc]
            objs, request
        )
        if not all(self.may_manage(request, obj) for obj in objs):
            perms_needed = {*perms_needed, _("admin accounts")}
        return deleted, model_count, perms_needed, protected


ROLE_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(PrivilegedTargetMixin, BaseUserAdmin):
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
        (
            None,
            {
                "fields": [
                    "email",
                    "password",
                    "password_changed_at",
                    ("must_change_password", "password_never_expires"),
                ]
            },
        ),
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

    def get_readonly_fields(self, request, obj=None):
        """Only a superuser grants or takes away admin roles and permissions."""
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ROLE_FIELDS
        return readonly

    def target_user(self, obj):
        return obj

    def has_change_permission(self, request, obj=None) -> bool:
        """Whoever may edit an admin account (its address, say) could take it over."""
        return super().has_change_permission(request, obj) and self.may_manage(request, obj)

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


def manageable_users(model_admin, request, users):
    """Keep the users whose authentication the actor may manage; say how many were left out.

    For the admin actions that reset methods, passes or passwords."""
    allowed = privilege.manageable(request.user, users)
    refused = users.count() - allowed.count()
    if refused:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)s admin account was left alone: only a privileged authentication "
                "administrator manages how admins sign in.",
                "%(count)s admin accounts were left alone: only a privileged authentication "
                "administrator manages how admins sign in.",
                refused,
            )
            % {"count": refused},
            messages.WARNING,
        )
    return allowed


def extend_user_admin(
    *,
    inlines: Sequence[type[admin.options.InlineModelAdmin]] = (),
    actions: Sequence[Callable] = (),
    password_view: Callable | None = None,
) -> None:
    """Add a page app's inlines and actions (admin.action functions) to the user admin;
    `password_view(model_admin, request, id)` answers the user page's "Reset password"."""
    UserAdmin.inlines = [*UserAdmin.inlines, *inlines]
    UserAdmin.actions = [*UserAdmin.actions, *actions]
    if password_view is not None:
        UserAdmin.user_change_password = password_view  # type: ignore[method-assign]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the portal writes and admins only read."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Every text, call and mail the portal sent or tried to: what failed, and why."""

    list_display = [
        "created_at",
        "channel",
        "purpose",
        "recipient",
        "status",
        "reason",
        "attempts",
        "finished_at",
    ]
    list_filter = ["status", "reason", "channel", "purpose"]
    search_fields = ["recipient", "user__email"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    fields = [
        "user",
        "channel",
        "purpose",
        "recipient",
        "status",
        "reason",
        "detail",
        "attempts",
        "created_at",
        "attempt_started_at",
        "next_attempt_at",
        "give_up_at",
        "finished_at",
    ]  # never the sealed message


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """The task workers that are running, and when each was last seen."""

    list_display = ["worker_id", "queues", "hostname", "pid", "started_at", "seen_at"]

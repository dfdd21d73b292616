from django.contrib import admin

from signins.models import SecurityEvent, SignInEvent


class LogAdmin(admin.ModelAdmin):
    """A log: nobody adds, edits or deletes entries, or it would be no audit trail."""

    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is not worth it
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields] + list(self.extra_readonly)

    extra_readonly: tuple[str, ...] = ()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SignInEvent)
class SignInEventAdmin(LogAdmin):
    """The sign-in log: read-only, because an audit trail that can be edited is none."""

    list_display = [
        "created_at",
        "user",
        "email",
        "result",
        "reason",
        "app",
        "ip",
        "country",
        "browser",
        "os",
    ]
    list_filter = ["result", "reason", "app", "device", "created_at"]
    search_fields = ["email", "ip", "user__email"]
    list_select_related = ["user"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(LogAdmin):
    """The audit log of changes to how people sign in: read-only."""

    list_display = ["created_at", "user", "kind", "detail", "actor", "ip", "country"]
    list_filter = ["kind", "created_at"]
    search_fields = ["user__email", "ip"]
    list_select_related = ["user", "actor"]
    extra_readonly = ("detail",)

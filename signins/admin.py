from django.contrib import admin

from signins.models import SecurityEvent, SignInEvent


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
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
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is not worth it
    readonly_fields = [field.name for field in SignInEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The audit log of changes to how people sign in: read-only."""

    list_display = ["created_at", "user", "kind", "detail", "actor", "ip", "country"]
    list_filter = ["kind", "created_at"]
    search_fields = ["user__email", "detail", "ip"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "actor"]
    show_full_result_count = False
    readonly_fields = [field.name for field in SecurityEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

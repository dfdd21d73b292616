import re

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

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


def _cell(text: str, kind: str, breaks: str = "") -> str:
    """A list cell that wraps within its width (see portal/admin.css), also after any of the
    `breaks` characters when it must, so that the sign-in log fits a 1280 px screen beside the
    admin's navigation and filters with nothing cut off."""
    parts = re.split(f"(?<=[{re.escape(breaks)}])", text) if breaks else [text]
    return format_html(
        '<span class="log-cell log-cell--{}">{}</span>',
        kind,
        format_html_join(mark_safe("<wbr>"), "{}", ((part,) for part in parts)),
    )


@admin.register(SignInEvent)
class SignInEventAdmin(LogAdmin):
    """The sign-in log: read-only, because an audit trail that can be edited is none.

    The list keeps what an admin scans for (when, who, what happened, in which app, from
    where); the browser, system and device are on each entry's page."""

    list_display = ["created_at", "account", "outcome", "application", "origin"]
    list_filter = ["result", "reason", "app", "device", "created_at"]
    search_fields = ["email", "ip", "user__email"]
    list_select_related = ["user"]

    @admin.display(description=_("account"), ordering="email")
    def account(self, event: SignInEvent) -> str:
        address = event.email or (event.user.email if event.user else "")
        return _cell(address, "account", breaks="@.")

    @admin.display(description=_("result"), ordering="result")
    def outcome(self, event: SignInEvent) -> str:
        """The reason, for a failure ("Wrong password"); else the result."""
        if event.result == SignInEvent.Result.FAILURE and event.reason:
            return _cell(event.get_reason_display(), "outcome")
        return _cell(event.get_result_display(), "outcome")

    @admin.display(description=_("application"), ordering="app")
    def application(self, event: SignInEvent) -> str:
        return _cell(event.get_app_display(), "application")

    @admin.display(description=_("from"), ordering="ip")
    def origin(self, event: SignInEvent) -> str:
        """The IP address, with its country: "GB 203.0.113.45"."""
        return _cell(
            " ".join(part for part in [event.country, event.ip or ""] if part), "origin", breaks=":"
        )


@admin.register(SecurityEvent)
class SecurityEventAdmin(LogAdmin):
    """The audit log of changes to how people sign in: read-only."""

    list_display = ["created_at", "user", "kind", "detail", "actor", "ip", "country"]
    list_filter = ["kind", "created_at"]
    search_fields = ["user__email", "ip"]
    list_select_related = ["user", "actor"]
    extra_readonly = ("detail",)

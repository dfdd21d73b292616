"""The admin for security info: methods (never their secrets), the security question pool,
app passwords, Temporary Access Passes, and "Require re-registration".

Nothing secret is shown anywhere: no encrypted seeds, credentials or digests. A Temporary
Access Pass is shown once, to the admin who issues it, and never again. Recovery codes are
not listed at all.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import crypto, privilege
from portal.admin import (
    CheckedAutocompleteMixin,
    PrivilegedTargetMixin,
    ReadOnlyAdmin,
    extend_user_admin,
    manageable_users,
)
from security_info import services
from security_info.app_passwords.passwords import delete_app_password
from security_info.models import (
    AppPassword,
    BlockedPhone,
    Method,
    RegistrationStatus,
    SecurityQuestion,
    TemporaryAccessPass,
)
from security_info.temporary_pass import passes as temporary_pass
from security_info.temporary_pass.forms import IssueTemporaryPassForm
from signins.models import SecurityEvent
from signins.services import record_security_event

ISSUED_SESSION_KEY = "security_info.admin.issued_pass"
METHOD_FIELDS = [
    "kind",
    "detail",
    "is_default",
    "channel",
    "passwordless",
    "aaguid",
    "created_at",
    "last_used_at",
]


def _report_reregistration(model_admin, request, count: int) -> None:
    model_admin.message_user(
        request,
        ngettext(
            "%(count)s user will register their methods again at the next sign-in.",
            "%(count)s users will register their methods again at the next sign-in.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


class MethodFormSet(BaseInlineFormSet):
    """Deletes a ticked method as the owner's own deletion does: event, email, new default."""

    request: HttpRequest  # set by MethodInline.get_formset()

    def delete_existing(self, obj, commit=True) -> None:
        if commit:
            services.delete_method(self.request, obj)


class MethodInline(admin.TabularInline):
    """A user's methods, for the user admin: what they are, never their secrets."""

    model = Method
    formset = MethodFormSet
    fields = METHOD_FIELDS  # type: ignore[assignment]  # plain names: a subset of the allowed
    readonly_fields = METHOD_FIELDS
    extra = 0
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"request": request})

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        """`obj` is the user whose page it is."""
        return super().has_delete_permission(request, obj) and (
            obj is None or privilege.may_manage_authentication(request.user, obj)
        )


@admin.register(Method)
class MethodAdmin(PrivilegedTargetMixin, admin.ModelAdmin):
    list_display = ["user", "kind", "detail", "is_default", "created_at", "last_used_at"]
    list_filter = ["kind", "is_default"]
    search_fields = ["user__email", "name", "phone", "email"]
    list_select_related = ["user"]
    fields = ["user", *METHOD_FIELDS]
    actions = ["require_reregistration"]

    def has_add_permission(self, request) -> bool:
        return False  # people register their own methods, with proof they hold them

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        services.delete_method(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for method in queryset.select_related("user"):
            services.delete_method(request, method)

    @admin.action(
        description=gettext_lazy("Require re-registration (delete phones, apps and app passwords)"),
        permissions=["delete"],
    )
    def require_reregistration(self, request, queryset) -> None:
        users = get_user_model().objects.filter(security_methods__in=queryset).distinct()
        users = manageable_users(self, request, users)
        count = services.require_reregistration(request, users)
        _report_reregistration(self, request, count)


@admin.register(SecurityQuestion)
class SecurityQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["text"]


@admin.register(AppPassword)
class AppPasswordAdmin(PrivilegedTargetMixin, admin.ModelAdmin):
    """App passwords can be looked at and deleted, never made or changed here."""

    list_display = ["name", "user", "created_at", "last_used_at"]
    search_fields = ["user__email", "name"]
    list_select_related = ["user"]
    fields = ["name", "user", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        delete_app_password(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for app_password in queryset.select_related("user"):
            delete_app_password(request, app_password)


@admin.register(BlockedPhone)
class BlockedPhoneAdmin(PrivilegedTargetMixin, admin.ModelAdmin):
    """Numbers blocked after a reported call; deleting one unblocks it (and is on record)."""

    list_display = ["user", "phone", "blocked_at", "until"]
    list_filter = ["until"]
    search_fields = ["user__email", "phone"]
    readonly_fields = ["user", "phone", "blocked_at", "until"]

    def has_add_permission(self, request) -> bool:
        return False  # only a reported call blocks a number

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        _record_unblock(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        blocked = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in blocked:
            _record_unblock(request, obj)


def _record_unblock(request, blocked: BlockedPhone) -> None:
    record_security_event(
        request,
        blocked.user,
        SecurityEvent.Kind.PHONE_UNBLOCKED,
        method=Method.Kind.MOBILE_PHONE.label,
        detail=blocked.phone,
    )


@admin.register(TemporaryAccessPass)
class TemporaryAccessPassAdmin(CheckedAutocompleteMixin, PrivilegedTargetMixin, admin.ModelAdmin):
    """Issue a pass with "Add"; it is shown once on the next page. Issued passes are
    read-only: issue a new one to replace it, or delete it."""

    add_form = IssueTemporaryPassForm
    list_display = [
        "user",
        "created_at",
        "expires_at",
        "one_time",
        "used_at",
        "issued_by",
        "usable",
    ]
    list_filter = ["one_time"]
    list_select_related = ["user", "issued_by"]
    search_fields = ["user__email"]
    autocomplete_fields = ["user"]
    fields = ["user", "created_at", "expires_at", "one_time", "used_at", "issued_by"]

    @admin.display(boolean=True, description=gettext_lazy("usable"))
    def usable(self, obj) -> bool:
        return obj.is_usable()

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["user", "minutes", "use"]})]
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]  # IssueTemporaryPassForm has it
        return form

    def add_view(self, request, form_url="", extra_context=None):
        # Every way out of the add form leads to the one showing of the pass.
        extra_context = {
            **(extra_context or {}),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
        }
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        """Issue the pass (replacing an older one) and keep it, encrypted, for one showing."""
        user = form.cleaned_data["user"]
        code = temporary_pass.issue(
            request, user, form.cleaned_data["minutes"], form.cleaned_data["one_time"]
        )
        obj.pk = TemporaryAccessPass.objects.get(user=user).pk
        obj.refresh_from_db()
        request.session[ISSUED_SESSION_KEY] = crypto.encrypt(f"{obj.pk}:{code}")

    def response_add(self, request, obj, post_url_continue=None):
        return redirect("admin:security_info_temporaryaccesspass_issued", obj.pk)

    def delete_model(self, request, obj) -> None:
        temporary_pass.delete(request, obj.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for issued in queryset.select_related("user"):
            temporary_pass.delete(request, issued.user)

    def get_urls(self):
        issued = path(
            "<int:pk>/issued/",
            self.admin_site.admin_view(self.issued_view),
            name="security_info_temporaryaccesspass_issued",
        )
        return [issued, *super().get_urls()]

    def issued_view(self, request, pk: int):
        """Show a just-issued pass, once: the session forgets it on the way."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        issued = get_object_or_404(TemporaryAccessPass.objects.select_related("user"), pk=pk)
        code = _pop_issued_pass(request, pk)
        if code is None:
            self.message_user(
                request,
                _("A pass is shown only once. If it was lost, issue a new one."),
                messages.WARNING,
            )
            return redirect("admin:security_info_temporaryaccesspass_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Temporary Access Pass issued"),
            "issued": issued,
            "code": code,
        }
        response = TemplateResponse(
            request, "admin/security_info/temporaryaccesspass/issued.html", context
        )
        add_never_cache_headers(response)
        return response


def _pop_issued_pass(request, pk: int) -> str | None:
    stored = request.session.pop(ISSUED_SESSION_KEY, None)
    if stored is None:
        return None
    try:
        stored_pk, code = crypto.decrypt(stored).split(":", 1)
    except ValueError:
        return None
    return code if stored_pk == str(pk) else None


@admin.action(
    description=gettext_lazy("Require re-registration of methods"), permissions=["change"]
)
def require_reregistration(model_admin, request, queryset) -> None:
    count = services.require_reregistration(
        request, manageable_users(model_admin, request, queryset)
    )
    _report_reregistration(model_admin, request, count)


extend_user_admin(inlines=[MethodInline], actions=[require_reregistration])


@admin.register(RegistrationStatus)
class RegistrationStatusAdmin(ReadOnlyAdmin):
    """When each person was asked to register, put it off, and last confirmed their info:
    what "Keep your account secure" and the review go by (written at sign-in only)."""

    list_display = ["user", "first_asked_at", "last_skipped_at", "last_confirmed_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ["user", "first_asked_at", "last_skipped_at", "last_confirmed_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

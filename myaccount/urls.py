from allauth.account import urls as account_urls
from allauth.account.decorators import secure_admin_login
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView

from myaccount.adapter import limit_floods
from portal import views as portal_views
from portal.http import API_PREFIX
from security_info.urls import sign_in_urlpatterns

# The work address is a directory attribute that admins manage: the user-facing pages that add,
# change or verify email addresses are left out, and so is allauth's second list of addresses.
HIDDEN_ACCOUNT_PAGES = {"account_email", "account_email_verification_sent", "account_confirm_email"}
# Changing or setting the password happens on our page (password:change): it applies the
# organization's policy and skips the current password after a recent MFA sign-in.
HIDDEN_ACCOUNT_PAGES |= {"account_change_password", "account_set_password"}
# Re-verifying is sudo mode's page (security_info:verify), which takes any method.
HIDDEN_ACCOUNT_PAGES |= {
    "account_reauthenticate",
    "account_request_reauthentication_code",
    "account_confirm_reauthentication_code",
}
# Self-service password reset (password:reset, at /password/reset/) replaces allauth's
# email-link reset.
HIDDEN_ACCOUNT_PAGES |= {
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
}
account_pages = [
    # Every attempt at the sign-in page counts against the flood limit, and is recorded.
    path(str(page.pattern), limit_floods(page.callback), name=page.name)
    if page.name == "account_login"
    else page
    for page in account_urls.urlpatterns
    if page.name not in HIDDEN_ACCOUNT_PAGES
]
admin.site.unregister(EmailAddress)

# The admin signs in through the same rate-limited, recorded sign-in as the portal.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
# An admin changes their own password where everyone does, so it keeps the history, is logged
# and mailed, and follows the policy: the admin's own "Change password" pages lead there.
admin.site.password_change = RedirectView.as_view(pattern_name="password:change")  # type: ignore[assignment]
admin.site.password_change_done = RedirectView.as_view(pattern_name="password:change")  # type: ignore[assignment]
admin.site.site_header = admin.site.site_title = format_lazy(
    gettext_lazy("{site_name} administration"), site_name=settings.SITE_NAME
)

urlpatterns = [
    path("accounts/", include(account_pages)),
    path("accounts/", include((sign_in_urlpatterns, "sign_in"))),
    path("security-info/", include("security_info.urls")),
    path("password/", include("security_info.password.urls")),
    path(API_PREFIX, include("security_info.app_passwords.api_urls")),
    path("admin/", admin.site.urls),
    path("health/", portal_views.health, name="health"),
    path("health/worker/", portal_views.worker_health, name="worker_health"),
    path("", include("portal.urls")),
]

# People get the pages in templates/ (404.html…); the API and scripts get JSON (portal.views).
handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"

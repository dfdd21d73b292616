from django.urls import path

from security_info.app_passwords import views as app_passwords
from security_info.authenticator import views as authenticator
from security_info.email import views as email
from security_info.passkeys import views as passkeys
from security_info.phones import views as phones
from security_info.recovery_codes import views as recovery_codes
from security_info.security_questions import views as questions
from security_info.temporary_pass import views as temporary_pass
from security_info.views import calls, page, setup, verify

app_name = "security_info"

# Sign-in: the second step after the password (public: the user is not signed in yet), mounted
# under /accounts/ as the "sign_in" namespace.
sign_in_urlpatterns = [
    path("verify/", verify.sign_in_verify, name="verify"),
    path("verify/switch/", verify.sign_in_switch, name="switch"),
    path("verify/cancel/", verify.sign_in_cancel, name="cancel"),
    # Recovery codes (fallback on the second step) and the Temporary Access Pass
    path("recovery-code/", recovery_codes.sign_in, name="recovery_code"),
    path("temporary-pass/", temporary_pass.sign_in, name="temporary_pass"),
    # Passkeys: sign in without a password, or use one as the second step
    path("passkey/options/", passkeys.sign_in_options, name="passkey_options"),
    path("passkey/", passkeys.sign_in, name="passkey"),
    path("verify/passkey/options/", passkeys.verify_options, name="passkey_verify_options"),
    path("verify/passkey/", passkeys.verify, name="passkey_verify"),
]

urlpatterns = [
    path("", page.index, name="index"),
    path("verify/", verify.verify, name="verify"),
    path("verify/send/", verify.verify_send, name="verify_send"),
    path("default/", page.change_default, name="change_default"),
    path("setup/", setup.setup, name="setup"),
    path("setup/done/", setup.setup_done, name="setup_done"),
    path("setup/not-now/", setup.setup_skip, name="setup_skip"),
    path("review/", setup.review, name="review"),
    path("review/confirm/", setup.review_confirm, name="review_confirm"),
    path("methods/<str:pk>/delete/", page.delete, name="delete"),
    # Authenticator apps
    path("authenticator/add/", authenticator.add, name="add_authenticator"),
    # Phones: mobile (text or call), alternate and office (call)
    path("phone/add/", phones.add, phones.MOBILE, name="add_mobile_phone"),
    path("phone/<str:pk>/change/", phones.change, phones.MOBILE, name="change_mobile_phone"),
    path("alternate-phone/add/", phones.add, phones.ALTERNATE, name="add_alternate_phone"),
    path(
        "alternate-phone/<str:pk>/change/",
        phones.change,
        phones.ALTERNATE,
        name="change_alternate_phone",
    ),
    path("office-phone/add/", phones.add, phones.OFFICE, name="add_office_phone"),
    path("office-phone/<str:pk>/change/", phones.change, phones.OFFICE, name="change_office_phone"),
    path("phone/verify/", phones.verify, name="verify_phone"),
    path("phone/verify/resend/", phones.resend, name="resend_phone_code"),
    # Approval calls: the state a waiting page follows, and Twilio's callbacks
    path("calls/<str:pk>/", calls.call_state, name="call_state"),
    path("calls/<str:token>/answer/", calls.answer, name="call_answer"),
    path("calls/<str:token>/status/", calls.status, name="call_status"),
    # Recovery codes and the Temporary Access Pass
    path("recovery-codes/", recovery_codes.index, name="recovery_codes"),
    path("recovery-codes/generate/", recovery_codes.generate, name="generate_recovery_codes"),
    path("recovery-codes/new/", recovery_codes.show, name="show_recovery_codes"),
    path("recovery-codes/download/", recovery_codes.download, name="download_recovery_codes"),
    path("recovery-codes/saved/", recovery_codes.saved, name="saved_recovery_codes"),
    path("temporary-pass/delete/", temporary_pass.delete, name="delete_temporary_pass"),
    # Email (password reset only, unless the policy allows email sign-in)
    path("email/add/", email.add, name="add_email"),
    path("email/<str:pk>/change/", email.change, name="change_email"),
    path("email/verify/", email.verify, name="verify_email"),
    path("email/verify/resend/", email.resend, name="resend_email_code"),
    # Security questions (password reset only; not for staff accounts)
    path("security-questions/add/", questions.add, name="add_security_questions"),
    path("security-questions/delete/", questions.delete, name="delete_security_questions"),
    # App passwords (for apps that cannot do multi-factor sign-in; see /api/)
    path("app-passwords/add/", app_passwords.add, name="add_app_password"),
    path("app-passwords/created/", app_passwords.created, name="app_password_created"),
    path("app-passwords/<str:pk>/delete/", app_passwords.delete, name="delete_app_password"),
    # Passkeys and security keys (WebAuthn)
    path("passkeys/add/", passkeys.add, name="add_passkey"),
    path("passkeys/add/options/", passkeys.register_options, name="passkey_register_options"),
    path("passkeys/add/register/", passkeys.register, name="passkey_register"),
    path("passkeys/<str:pk>/rename/", passkeys.rename, name="rename_passkey"),
    path("verify/passkey/options/", passkeys.sudo_options, name="passkey_sudo_options"),
    path("verify/passkey/", passkeys.sudo, name="passkey_sudo"),
]

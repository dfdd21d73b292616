from django.urls import path

from security_info.views import (
    app_passwords,
    authenticator,
    email,
    outbox,
    page,
    passkeys,
    password,
    phones,
    questions,
    recovery_codes,
    reset,
    setup,
    temporary_pass,
    verify,
)

app_name = "security_info"

# Sign-in: the second step after the password (public: the user is not signed in yet).
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
    # Self-service password reset ("Forgot my password"; replaces allauth's email link): the
    # address, one or two verification gates, a new password.
    path("password/reset/", reset.start, name="reset"),
    path("password/reset/verify/", reset.choose, name="reset_choose"),
    path("password/reset/code/", reset.code, name="reset_code"),
    path("password/reset/questions/", reset.questions, name="reset_questions"),
    path("password/reset/new/", reset.new_password, name="reset_new_password"),
    path("password/reset/done/", reset.done, name="reset_done"),
    path("password/reset/cancel/", reset.cancel, name="reset_cancel"),
]

urlpatterns = [
    path("", page.index, name="index"),
    path("verify/", verify.verify, name="verify"),
    path("verify/send/", verify.verify_send, name="verify_send"),
    path("default/", page.change_default, name="change_default"),
    path("setup/", setup.setup, name="setup"),
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
    # Password: change it, with feedback on the new one's strength while it is typed
    path("password/", password.change, name="change_password"),
    path("password/strength/", password.check_strength, name="password_strength"),
    # Development
    path("outbox/", outbox.outbox, name="outbox"),
]

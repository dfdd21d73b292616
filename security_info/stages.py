"""The second step of signing in, after the password: one allauth login stage for every method.

It replaces allauth.mfa's stage (which is not installed): the user is challenged with their
default method (or the strongest, under a system-preferred policy) and may pick another.
"""

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.stages import LoginStage
from django.core import signing
from django.shortcuts import redirect

from organizations.models import get_policy
from security_info import verification
from security_info.apps import MUST_REGISTER_SESSION_KEY
from security_info.challenges import SendRefused
from security_info.methods import default_option, sign_in_options
from security_info.models import Method
from signins.models import SignInEvent
from signins.services import record_sign_in, sign_in_app

OPTION_SESSION_KEY = "security_info.sign_in.option"
ERROR_SESSION_KEY = "security_info.sign_in.error"
TRUST_COOKIE = "mfa_trusted"
# First factors that already prove possession of something: no second step after them.
STRONG_FIRST_FACTORS = {"passkey", "temporary_pass"}


class SecondFactorStage(LoginStage):
    key = "second_factor"
    urlname = "sign_in:verify"

    def handle(self):
        user = self.login.user
        records = get_authentication_records(self.request, user)
        if any(record.get("method") in STRONG_FIRST_FACTORS for record in records):
            return None, True
        policy = get_policy(user)
        options = sign_in_options(Method.objects.filter(user=user), policy)
        if not options:
            # Nothing to challenge with. Under a multi-factor policy, the user registers a
            # method right after signing in (the interrupt), before anything else.
            if policy.mfa_required:
                self.request.session[MUST_REGISTER_SESSION_KEY] = True
            return None, True
        if is_trusted_browser(self.request, user, policy):
            return None, True
        option = default_option(options, policy)
        self.request.session[OPTION_SESSION_KEY] = option.key
        self.request.session.pop(ERROR_SESSION_KEY, None)
        try:
            verification.start(self.request, option, "sign_in")
        except SendRefused as e:
            self.request.session[ERROR_SESSION_KEY] = str(e)
            record_sign_in(
                self.request,
                result=SignInEvent.Result.FAILURE,
                reason=e.reason,
                user=user,
                app=sign_in_app(self.request, self.login.redirect_url or ""),
                method="password",
                second_factor=option.second_factor,
            )
        return redirect(self.urlname), True


def trust_cookie_value(user) -> str:
    # The password hash is part of the signed value, so a password change ends the trust.
    return signing.dumps(
        {"user": user.pk, "password": user.password[-12:]}, salt="security_info.trusted"
    )


def is_trusted_browser(request, user, policy) -> bool:
    """Tell whether this browser was remembered after a multi-factor sign-in, within policy."""
    if not policy.remember_browser_days or TRUST_COOKIE not in request.COOKIES:
        return False
    try:
        value = signing.loads(
            request.COOKIES[TRUST_COOKIE],
            salt="security_info.trusted",
            max_age=policy.remember_browser_days * 24 * 60 * 60,
        )
    except signing.BadSignature:
        return False
    return value == {"user": user.pk, "password": user.password[-12:]}

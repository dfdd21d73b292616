from allauth.account.forms import LoginForm as AllauthLoginForm
from django.contrib import messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.sessions import session_policy


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form, worded for a work account and without placeholder clutter.

    "Keep me signed in" is offered as the site's default says (the account is not known before
    the form is sent); once it is, the person's organization decides whether the box counts
    and how long a kept session lasts.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        login = self.fields["login"]
        login.label = _("Email address")
        login.widget.attrs.pop("placeholder", None)
        login.widget.attrs["autocomplete"] = "username"
        password = self.fields["password"]
        password.help_text = ""  # the page links to the password reset once, below the form
        password.widget.attrs.pop("placeholder", None)
        # The page is only there to be typed into: start in the address, or, when it comes
        # back with an error and the address kept, in the password.
        focus = password if self.is_bound and self.data.get("login") else login
        focus.widget.attrs["autofocus"] = True
        if "remember" in self.fields:
            if session_policy(None).remember_offered:
                self.fields["remember"].label = _("Keep me signed in")
            else:
                del self.fields["remember"]

    def login(self, request, redirect_url=None):
        policy = session_policy(self.user)
        asked = self.cleaned_data.get("remember", False)
        # allauth reads the box to give the session cookie an age, or end it with the browser.
        self.cleaned_data["remember"] = asked and policy.remember_offered
        response = super().login(request, redirect_url)
        if self.cleaned_data["remember"]:
            request.session.set_expiry(policy.remembered_seconds)
        elif asked:
            messages.info(
                request,
                gettext(
                    "Your organization does not let browsers keep you signed in: you will be "
                    "signed out when you close the browser."
                ),
            )
        return response

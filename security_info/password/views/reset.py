"""Self-service password reset ("Forgot my password"): who you are, one or two verification
gates, a new password. The rules, and why every address looks alike, are in
security_info/password/reset.py.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import ratelimits
from security_info.challenges import ChallengeError, SendRefused, TooManyAttempts
from security_info.forms import CodeForm
from security_info.password import reset, strength
from security_info.password.forms import (
    NewPasswordForm,
    ResetAnswersForm,
    ResetOptionForm,
    ResetStartForm,
)

ANSWER_FIELDS = tuple(f"answer_{n}" for n in range(1, 6))


def reset_step(view):
    """Hand the view the reset in progress; without a live one, go back to the first step."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        state = reset.current(request)
        if state is None or state.expired:
            reset.clear(request)
            messages.error(
                request,
                _("Your password reset took too long. Start again.")
                if state
                else _("Enter your email address to reset your password."),
            )
            return redirect("password:reset")
        if not state.policy.reset_enabled:
            return _helpdesk(request, state)
        return view(request, state, *args, **kwargs)

    return wrapper


def _helpdesk(request, state) -> HttpResponse:
    """The organization does not let people reset here (or offers no way they can)."""
    return render(request, "password/reset/helpdesk.html", {"state": state})


def _after_gate(state) -> HttpResponse:
    return redirect("password:reset_new_password" if state.verified else "password:reset_choose")


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def start(request) -> HttpResponse:
    form = ResetStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reset.begin(request, form.cleaned_data["email"])
        return redirect("password:reset_choose")
    return render(request, "password/reset/start.html", {"form": form})


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
@reset_step
def choose(request, state) -> HttpResponse:
    """Offer the ways to pass this gate; send the code of the one chosen (if any is due)."""
    if state.verified:
        return redirect("password:reset_new_password")
    options = reset.available_options(state)
    if not options:
        return _helpdesk(request, state)
    form = ResetOptionForm(options, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset.choose(request, state, form.chosen)
        except SendRefused as e:
            form.add_error(None, str(e))
        else:
            return redirect(_proof_page(form.chosen))
    hints = reset.hints(state, options)
    picked = form.data.get("option")
    choices = [
        (option.key, *reset.described(option, hints.get(option.key, "")), option.key == picked)
        for option in options
    ]
    context = {"form": form, "state": state, "choices": choices}
    return render(request, "password/reset/choose.html", context)


def _proof_page(option: reset.ResetOption) -> str:
    """The page that asks for the proof: the code sent or shown, or the answers."""
    return "password:reset_questions" if option.proof == "answers" else "password:reset_code"


@never_cache
@login_not_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@reset_step
def code(request, state) -> HttpResponse:
    """Ask for the code that was sent (or that the app shows)."""
    option = reset.OPTIONS_BY_KEY.get(state.option)
    if option is None or option.proof != "code":
        return redirect("password:reset_choose")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset.check_code(request, state, option, form.cleaned_data["code"])
        except TooManyAttempts as e:
            if option.sends_code:  # a new code can be sent
                form.add_error("code", str(e))
            else:  # nothing new to send: five wrong app codes end the reset
                reset.clear(request)
                messages.error(request, str(e))
                return redirect("password:reset")
        except ChallengeError as e:
            form.add_error("code", str(e))
        else:
            return _after_gate(state)
    context = {
        "form": form,
        "state": state,
        "option": option,
        "prompt": reset.prompt(option, state.hint),
    }
    return render(request, "password/reset/code.html", context)


@never_cache
@login_not_required
@sensitive_post_parameters(*ANSWER_FIELDS)
@require_http_methods(["GET", "POST"])
@reset_step
def questions(request, state) -> HttpResponse:
    option = reset.OPTIONS_BY_KEY.get(state.option)
    if option is None or option.proof != "answers":
        return redirect("password:reset_choose")
    form = ResetAnswersForm(reset.asked_questions(state, option), request.POST or None)
    if request.method == "POST" and form.is_valid():
        if reset.check_answers(request, state, option, form.answers):
            return _after_gate(state)
        form.add_error(None, _("Your answers didn't match. Check them and try again."))
    return render(request, "password/reset/questions.html", {"form": form, "state": state})


@never_cache
@login_not_required
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
@reset_step
def new_password(request, state) -> HttpResponse:
    user = reset.verified_user(state)
    if user is None:
        return redirect("password:reset_choose")
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST":
        reset.allow_finish(request, state)
        if form.is_valid():
            reset.finish(request, user, form.cleaned_data["new_password1"])
            return redirect("password:reset_done")
    context = {
        "form": form,
        "strength_url": reverse("password:reset_strength"),
        "refuses_current": False,  # nothing typed to compare with: the server checks reuse
    }
    return render(request, "password/reset/new_password.html", context)


@never_cache
@login_not_required
@require_POST
def new_password_strength(request) -> JsonResponse:
    """Strength feedback on the last step, judged for the account the reset has verified."""
    ratelimits.consume(request, "strength_check")
    state = reset.current(request)
    user = reset.verified_user(state) if state is not None and not state.expired else None
    if user is None:
        return JsonResponse({"error": _("Verify it's you before choosing a password.")}, status=403)
    return strength.json_answer(request, user)


@never_cache
@login_not_required
@require_GET
def done(request) -> HttpResponse:
    if not request.session.get(reset.DONE_SESSION_KEY):
        return redirect("password:reset")
    return render(request, "password/reset/done.html")


@never_cache
@login_not_required
@require_POST
def cancel(request) -> HttpResponse:
    """Abandon the reset: nothing was changed, so forgetting it is all there is to do."""
    reset.clear(request)
    return redirect("account_login")

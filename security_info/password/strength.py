"""How strong a new password looks while it is typed: zxcvbn's score and the rules it breaks.

Only feedback: the change and reset forms check every rule again when they are submitted.
Nothing leaves the server; zxcvbn runs here, with its own word lists, on a bounded prefix of
the password (security_info/password/guessable.py), as the validator does. The verdict is the
validators' own, so the meter says "meets the rules" exactly when the form would take it,
except for the reuse check: that one hashes the password against the user's history, so it
runs only on submit, and the answer says so (`on_submit`) instead of claiming it passed.
"""

from django.contrib.auth.password_validation import get_default_password_validators
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_variables

from organizations.policies import password_policy
from portal.http import UnreadableBody, json_object
from security_info.password import guessable
from security_info.password.passwords import PolicyPasswordValidator

LABELS = (
    gettext_lazy("Very weak"),
    gettext_lazy("Weak"),
    gettext_lazy("Fair"),
    gettext_lazy("Strong"),
    gettext_lazy("Very strong"),
)


@sensitive_variables("password")
def json_answer(request: HttpRequest, user) -> JsonResponse:
    """Answer a {"password": "..."} body with `assess()` for the user; any other body gets 400."""
    try:
        password = json_object(request).get("password")
    except UnreadableBody:
        password = None
    if not isinstance(password, str):
        return JsonResponse({"error": _('Send {"password": "…"} as JSON.')}, status=400)
    return JsonResponse(assess(password, user))


def assess(password: str, user) -> dict:
    """Score the password 0-4, list the policy's rules that it breaks and say whether the form
    would take it."""
    policy = password_policy(user)
    # One character past the maximum is enough for the validators to say "too long".
    password = password[: policy.max_length + 1]
    estimate = guessable.estimate(password, user)
    found = problems(password, user, estimate)
    return {
        "score": estimate.score,
        "label": str(LABELS[estimate.score]),
        "meets_policy": not found,
        "verdict": verdict(policy, estimate.score, meets=not found),
        # zxcvbn speaks English; a catalogue may translate its sentences.
        "warning": _(estimate.warning) if estimate.warning else "",
        "suggestions": [_(suggestion) for suggestion in estimate.suggestions],
        "problems": found,
        "on_submit": on_submit(policy),
    }


def verdict(policy, score: int, *, meets: bool) -> str:
    """The sentence under the meter: whether the organization's rules are met, and the minimum
    strength they ask for when the score is below it."""
    if meets:
        return _("Meets your organization's rules.")
    if score < policy.min_score:
        return _(
            "Doesn't meet your organization's rules yet. It asks for “%(strength)s” or better."
        ) % {"strength": policy.get_min_score_display()}
    return _("Doesn't meet your organization's rules yet.")


def on_submit(policy) -> str:
    """What is checked only when the form is sent: the passwords the user may not reuse."""
    if not policy.history_count:
        return ""
    if policy.history_count == 1:
        return _("When you continue, we also check that it isn't your current password.")
    return ngettext(
        "When you continue, we also check that it isn't your current password or your last one.",
        "When you continue, we also check that it isn't your current password or one of your last %(count)d.",
        policy.history_count - 1,
    ) % {"count": policy.history_count - 1}


def problems(password: str, user, estimate: guessable.Estimate) -> list[str]:
    """Run every password validator except the reuse check, which hashes; collect the messages.
    The policy's strength rule reuses `estimate` rather than score the password again."""
    found = []
    for validator in get_default_password_validators():
        try:
            if isinstance(validator, PolicyPasswordValidator):
                validator.validate(password, user, check_history=False, estimate=estimate)
            else:
                validator.validate(password, user)
        except ValidationError as error:
            found.extend(error.messages)
    return found

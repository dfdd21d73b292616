"""How strong a new password looks while it is typed: zxcvbn's score and the rules it breaks.

Only feedback: the change form checks every rule again when it is submitted. Nothing leaves
the server; zxcvbn runs here, with its own word lists, on a bounded prefix of the password
(security_info/password/guessable.py), as the validator does.
"""

from django.contrib.auth.password_validation import get_default_password_validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.policies import password_policy
from security_info.password import guessable
from security_info.password.passwords import PolicyPasswordValidator

LABELS = (
    gettext_lazy("Very weak"),
    gettext_lazy("Weak"),
    gettext_lazy("Fair"),
    gettext_lazy("Strong"),
    gettext_lazy("Very strong"),
)


def assess(password: str, user) -> dict:
    """Score the password 0-4 and list the policy's rules that it breaks."""
    policy = password_policy(user)
    # One character past the maximum is enough for the validators to say "too long".
    password = password[: policy.max_length + 1]
    estimate = guessable.estimate(password, user)
    return {
        "score": estimate.score,
        "label": str(LABELS[estimate.score]),
        # zxcvbn speaks English; a catalogue may translate its sentences.
        "warning": _(estimate.warning) if estimate.warning else "",
        "suggestions": [_(suggestion) for suggestion in estimate.suggestions],
        "problems": problems(password, user, estimate),
    }


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

"""How strong a new password looks while it is typed: zxcvbn's score and the rules it breaks.

Only feedback: the change form checks every rule again when it is submitted. Nothing leaves
the server; zxcvbn runs here, with its own word lists.
"""

import re

from django.contrib.auth.password_validation import get_default_password_validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from zxcvbn import zxcvbn

from organizations.policies import password_policy
from security_info.password.passwords import PolicyPasswordValidator

LABELS = (
    gettext_lazy("Very weak"),
    gettext_lazy("Weak"),
    gettext_lazy("Fair"),
    gettext_lazy("Strong"),
    gettext_lazy("Very strong"),
)
# zxcvbn's time grows steeply with length (measured: 0.1 s at 50 random characters, 0.4 s at
# 64, 3.5 s at 100). A longer password is scored on its first 50, a lower bound.
SCORED_LENGTH = 50


def assess(password: str, user, organization_name: str = "") -> dict:
    """Score the password 0-4 and list the policy's rules that it breaks."""
    policy = password_policy(user)
    # One character past the maximum is enough for the validators to say "too long".
    password = password[: policy.max_length + 1]
    score, warning, suggestions = _score(password[:SCORED_LENGTH], user, organization_name)
    return {
        "score": score,
        "label": str(LABELS[score]),
        "warning": warning,
        "suggestions": suggestions,
        "problems": problems(password, user),
    }


def problems(password: str, user) -> list[str]:
    """Run every password validator except the reuse check, which hashes; collect the messages."""
    found = []
    for validator in get_default_password_validators():
        try:
            if isinstance(validator, PolicyPasswordValidator):
                validator.validate(password, user, check_history=False)
            else:
                validator.validate(password, user)
        except ValidationError as error:
            found.extend(error.messages)
    return found


def user_inputs(user, organization_name: str = "") -> list[str]:
    """Words zxcvbn should treat as easy to guess: the user's names, address and organization."""
    local = user.email.partition("@")[0]
    values = [user.given_name, user.surname, user.email, local, organization_name]
    # zxcvbn matches whole entries: "Northwind Traders" must also be "northwind", "traders".
    words = {part for value in values for part in re.split(r"[\W_]+", value) if len(part) > 2}
    return [value for value in values if value] + sorted(words)


def _score(password: str, user, organization_name: str) -> tuple[int, str, list[str]]:
    if not password:  # zxcvbn cannot score an empty string
        return 0, "", []
    result = zxcvbn(
        password, user_inputs=user_inputs(user, organization_name), max_length=SCORED_LENGTH
    )
    feedback = result["feedback"]
    # zxcvbn speaks English; a catalogue may translate its sentences.
    return (
        result["score"],
        _(feedback["warning"]) if feedback["warning"] else "",
        [_(suggestion) for suggestion in feedback["suggestions"]],
    )

"""Passwords: the organization's rules, the history that forbids reuse, and setting a new one.

`PolicyPasswordValidator` is in AUTH_PASSWORD_VALIDATORS, so every way of choosing a password
(change, reset, admin forms) applies the same rules. `set_password()` is the one way the portal
gives a user a new password: it keeps the history, stamps the date, lifts a lockout, records
the change and tells the user.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from organizations.policies import authentication_policy, password_policy
from portal.authentication import first_factor
from security_info import sign_in_locks
from security_info.methods import KINDS
from security_info.password import guessable
from security_info.password.models import Lockout, PasswordHistory
from signins.models import SecurityEvent
from signins.services import record_security_event

# Kept whatever the policy's N, so raising N later still has history to check against.
HISTORY_KEPT = 24


@dataclass(frozen=True)
class CharacterKind:
    """Lower-case letters, say: a policy may require one, or a number of different kinds."""

    required_by: str  # the policy's field
    test: Callable[[str], bool]
    missing: str | Promise  # the message when a required kind is missing
    rule: str | Promise  # as the list of requirements says it


CHARACTER_KINDS = (
    CharacterKind(
        "require_lowercase",
        str.islower,
        gettext_lazy("Include a lower-case letter."),
        gettext_lazy("a lower-case letter"),
    ),
    CharacterKind(
        "require_uppercase",
        str.isupper,
        gettext_lazy("Include an upper-case letter."),
        gettext_lazy("an upper-case letter"),
    ),
    CharacterKind(
        "require_digit", str.isdigit, gettext_lazy("Include a digit."), gettext_lazy("a digit")
    ),
    CharacterKind(
        "require_symbol",
        lambda char: not char.isalnum(),
        gettext_lazy("Include a symbol, such as ! or #."),
        gettext_lazy("a symbol"),
    ),
)


class PolicyPasswordValidator:
    """Apply the user's organization password policy; say exactly which rule failed and what to
    do instead."""

    def validate(
        self,
        password: str,
        user=None,
        *,
        check_history: bool = True,
        estimate: guessable.Estimate | None = None,
    ) -> None:
        """Raise every failed rule's message; `check_history=False` skips the costly reuse check
        (it hashes the password once per remembered one), for feedback while typing, which
        passes the `estimate` it already has."""
        policy = password_policy(user)
        errors = _length_errors(password, policy) + _character_errors(password, policy)
        errors += _guessable_errors(password, user, policy, estimate)
        if (
            check_history
            and user is not None
            and user.pk
            and _was_used_before(user, password, policy.history_count)
        ):
            errors.append(
                ngettext(
                    "You used this password before. Choose one you have not used.",
                    "You used this password in your last %(count)d passwords. Choose one you have not used.",
                    policy.history_count,
                )
                % {"count": policy.history_count}
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _("Your organization's password rules apply.")


def _length_errors(password: str, policy) -> list[str]:
    if len(password) < policy.min_length:
        return [
            ngettext(
                "Use at least %(count)d character.",
                "Use at least %(count)d characters.",
                policy.min_length,
            )
            % {"count": policy.min_length}
        ]
    if len(password) > policy.max_length:
        return [
            ngettext(
                "Use at most %(count)d character.",
                "Use at most %(count)d characters.",
                policy.max_length,
            )
            % {"count": policy.max_length}
        ]
    return []


def _character_errors(password: str, policy) -> list[str]:
    present = [kind for kind in CHARACTER_KINDS if any(map(kind.test, password))]
    errors = [
        str(kind.missing)
        for kind in CHARACTER_KINDS
        if getattr(policy, kind.required_by) and kind not in present
    ]
    if _counts_kinds(policy) and len(present) < policy.min_character_classes:
        errors.append(
            ngettext(
                "Mix at least %(count)d kind of character: lower-case letters, upper-case letters, digits or symbols.",
                "Mix at least %(count)d kinds of character: lower-case letters, upper-case letters, digits or symbols.",
                policy.min_character_classes,
            )
            % {"count": policy.min_character_classes}
        )
    return errors


def _counts_kinds(policy) -> bool:
    """Tell whether the number of kinds asks more than the kinds the policy requires."""
    required = sum(1 for kind in CHARACTER_KINDS if getattr(policy, kind.required_by))
    return policy.min_character_classes > required


def _guessable_errors(password: str, user, policy, estimate) -> list[str]:
    """The rules about guessing: what attackers try first, and zxcvbn's score for the rest."""
    errors = []
    if guessable.is_common(password):
        errors.append(
            _(
                "Lots of people use this password, even with numbers, symbols or look-alike characters added. Use a few words that don't usually go together."
            )
        )
    if guessable.contains_any(password, guessable.personal_words(user)):
        errors.append(
            _(
                "Your password contains your name, email address or organization's name, even if some letters are swapped for look-alikes. Use words that are not about you or your organization."
            )
        )
    if guessable.contains_any(password, policy.banned_word_list):
        errors.append(
            _(
                "Your password contains a word your organization doesn't allow, even if some letters are swapped for look-alikes. Use other words."
            )
        )
    if policy.min_score:
        if estimate is None:
            estimate = guessable.estimate(password, user)
        if estimate.score < policy.min_score:
            errors.append(
                _(
                    "This password would be easy to guess. Add a few more words that are not about you or your organization."
                )
            )
    return errors


def _was_used_before(user, password: str, count: int) -> bool:
    if count <= 0:
        return False
    hashes = [user.password] if user.has_usable_password() else []
    hashes += list(
        PasswordHistory.objects.filter(user=user).values_list("password_hash", flat=True)[
            : max(count - 1, 0)
        ]
    )
    return any(check_password(password, encoded) for encoded in hashes[:count] if encoded)


def requirements(user) -> list[str]:
    """Describe the rules in words, for the form's help text."""
    policy = password_policy(user)
    rules = [
        ngettext("At least %(count)d character", "At least %(count)d characters", policy.min_length)
        % {"count": policy.min_length}
    ]
    rules += [str(kind.rule) for kind in CHARACTER_KINDS if getattr(policy, kind.required_by)]
    if _counts_kinds(policy):
        rules.append(
            ngettext(
                "at least %(count)d kind of character: lower-case letters, upper-case letters, digits or symbols",
                "at least %(count)d kinds of character: lower-case letters, upper-case letters, digits or symbols",
                policy.min_character_classes,
            )
            % {"count": policy.min_character_classes}
        )
    if policy.min_score:
        rules.append(
            _("to be hard to guess (rated “%(strength)s” or better)")
            % {"strength": policy.get_min_score_display()}
        )
    rules.append(_("not a common password, even with numbers, symbols or look-alikes added"))
    rules.append(_("nothing about you: not your name, email address or organization's name"))
    if policy.banned_word_list:
        rules.append(_("none of the words your organization doesn't allow"))
    if policy.history_count:
        rules.append(_("not one of your recent passwords"))
    return rules


def is_expired(user) -> bool:
    """Tell whether the user's password is older than the policy allows (never, for an
    account an admin exempted)."""
    if user.password_never_expires:
        return False
    policy = password_policy(user)
    if not policy.expiry_days or user.password_changed_at is None:
        return False
    return timezone.now() - user.password_changed_at > timedelta(days=policy.expiry_days)


def must_change(request, user) -> str:
    """Tell why the password must change right after this sign-in ("temporary", "expired"),
    or "" when it need not (an interrupt). Only after a password: it was typed just now, so the
    change page does not ask for it again."""
    if first_factor(request, user) != "password":
        return ""
    if user.must_change_password:
        return "temporary"
    return "expired" if is_expired(user) else ""


@transaction.atomic
def set_password(
    request, user, raw_password: str, *, kind=SecurityEvent.Kind.PASSWORD_CHANGED, notify=True
) -> None:
    """Give the user a new password (validated by the caller's form).

    The old hash joins the history; every other session of the user ends (Django ties
    sessions to the password hash), the current one is kept when it is the user's own.
    """
    if user.has_usable_password():
        PasswordHistory.objects.create(user=user, password_hash=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
            HISTORY_KEPT:
        ]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    user.set_password(raw_password)
    user.password_changed_at = timezone.now()
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    Lockout.objects.filter(user=user).delete()
    sign_in_locks.unlock(user)  # a new password ends the guessing it was for
    if request.user.is_authenticated and request.user.pk == user.pk:
        update_session_auth_hash(request, user)
    record_security_event(request, user, kind, notify=notify)
    if kind == SecurityEvent.Kind.PASSWORD_RESET or not (
        authentication_policy(user).app_passwords_survive_change
    ):
        _end_app_passwords(request, user, notify=notify)


def _end_app_passwords(request, user, *, notify: bool) -> None:
    """App passwords sign in without a second factor: a new password ends them (a reset
    always; a change unless the policy keeps them), as it ends the user's sessions."""
    ended = KINDS["app_password"].clear(user)
    if ended:
        record_security_event(
            request, user, SecurityEvent.Kind.APP_PASSWORDS_REVOKED, notify=notify, count=ended
        )


TEMPORARY_PASSWORD_LENGTH = 16
# A temporary password is read out or typed over: no look-alikes (0/O/o, 1/l/I/i), and symbols
# only where the policy demands one.
TEMPORARY_PASSWORD_LOWERCASE = "abcdefghjkmnpqrstuvwxyz"  # noqa: S105 (an alphabet)
TEMPORARY_PASSWORD_UPPERCASE = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # noqa: S105 (an alphabet)
TEMPORARY_PASSWORD_DIGITS = "23456789"  # noqa: S105 (an alphabet, not a password)
TEMPORARY_PASSWORD_SYMBOLS = "!#%+=?@"  # noqa: S105 (an alphabet, not a password)


class NoTemporaryPassword(Exception):
    """The policy refused every generated password (a banned word in every try, say)."""


def temporary_password(user) -> str:
    """Make a random password of letters and digits, none of them look-alikes, that the
    user's policy accepts."""
    policy = password_policy(user)
    length = min(max(TEMPORARY_PASSWORD_LENGTH, policy.min_length), policy.max_length)
    kinds = [TEMPORARY_PASSWORD_LOWERCASE, TEMPORARY_PASSWORD_UPPERCASE, TEMPORARY_PASSWORD_DIGITS]
    alphabet = "".join(kinds)
    for _attempt in range(20):
        chars = [secrets.choice(kind) for kind in kinds]
        if policy.require_symbol or policy.min_character_classes == len(CHARACTER_KINDS):
            chars.append(secrets.choice(TEMPORARY_PASSWORD_SYMBOLS))
        chars += [secrets.choice(alphabet) for _position in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        candidate = "".join(chars)
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate
    raise NoTemporaryPassword


@transaction.atomic
def reset_to_temporary(request, user) -> str:
    """Give the user a new temporary password and return it, to be shown once: everything a
    reset does (sessions and app passwords end, lockouts lift, the user is told), and they
    must choose their own at the next sign-in with it. Raise NoTemporaryPassword."""
    temporary = temporary_password(user)
    set_password(request, user, temporary, kind=SecurityEvent.Kind.PASSWORD_RESET)
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    return temporary

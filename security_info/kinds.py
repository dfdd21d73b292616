"""What a kind of sign-in method is, and what the portal asks of each.

Every kind (security_info/<kind>/kind.py) is one object of a class below. The Security info page
asks it for its rows, the add list for its name and limit, the second sign-in step and sudo mode
for its ways to be proved (SignInOption) and how to prove them, self-service password reset for
its reset options, the admin whether a re-registration clears it. `security_info.methods` lists
the installed kinds; nothing outside a kind's own package asks which kind something is.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, cast

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security_info import challenges
from security_info.challenges import Challenge, InvalidCode
from security_info.models import Method

if TYPE_CHECKING:
    from organizations.models import AuthenticationPolicy
    from portal.models import User


class Action(NamedTuple):
    """A link on a method's row: "Change", "Delete"… `name` is what it says to a screen reader,
    the label with what it acts on, each said once ("Delete phone 07700 900123"); see
    `action`."""

    label: str | Promise
    url: str
    name: str = ""


def action(label: str | Promise, url: str, target: str | Promise) -> Action:
    """An action on `target`, the row's thing as a sentence names it ("security questions",
    "phone 07700 900123")."""
    return Action(label, url, _("%(action)s %(target)s") % {"action": label, "target": target})


@dataclass
class Row:
    """One registered method as the Security info page lists it."""

    kind: str | Promise
    detail: str | Promise
    actions: list[Action]
    is_default: bool = False
    added: datetime | None = None
    used: datetime | None = None
    # Something the page says at the top because of this row ("running out of codes").
    notice: str | Promise = ""
    method_id: int | None = None  # the Method row it shows, for kinds stored as methods
    # Something wrong with this one, said on its row ("blocked until …").
    warning: str | Promise = ""

    @property
    def show_dates(self) -> bool:
        return self.added is not None

    @property
    def used_text(self) -> str:
        """When it was last used, as people say it: "just now", "5 minutes ago", a date."""
        if self.used is None:
            return _("never used")
        elapsed = timezone.now() - self.used
        if elapsed < timedelta(minutes=1):
            return _("last used just now")
        if elapsed < timedelta(days=7):
            return _("last used %(time)s ago") % {"time": timesince(self.used, depth=1)}
        return _("last used %(date)s") % {"date": date_format(localtime(self.used), "DATE_FORMAT")}


class AppCodeProof(Protocol):
    """What a reset asks of a kind proved by a code an app shows (option.proof "code", and
    the kind sends none)."""

    def accept_any(self, user_id: int | None, code: str) -> bool | None: ...


class AnswersProof(Protocol):
    """What a reset asks of a kind proved by answers (option.proof "answers")."""

    def reset_questions(self, user_id: int | None, count: int, seed: str) -> list[int]: ...

    def questions(self, ids: list[int]) -> list[Any]: ...

    def check_reset_answers(
        self, request: HttpRequest, user: "User | None", email: str, given: dict[int, str]
    ) -> bool: ...


@dataclass(frozen=True)
class ResetOption:
    """One way to pass a gate of self-service password reset, as offered to everyone."""

    key: str
    label: str | Promise
    # What the proof page says, with the option's hint for %(hint)s where the kind gives one
    # (see Kind.reset_hint); it reads as true whether or not the account has such a method.
    prompt: str | Promise
    kind: "Kind"
    channel: str
    policy_flag: str  # the AuthenticationPolicy field that allows it
    position: int  # where the choice is listed (Microsoft's order: email, phones, app, questions)
    proof: str = "code"  # "code" (sent, or shown by an app) or "answers"
    # The line under the label in the list, with the hint for %(hint)s likewise.
    description: str | Promise = ""

    @property
    def sends_code(self) -> bool:
        return self.proof == "code" and self.kind.sends_code

    # The kind as the reset uses it, by how it is proved (see `proof` and `sends_code`).
    @property
    def sender(self) -> "SentCodeKind":
        return cast("SentCodeKind", self.kind)

    @property
    def app(self) -> AppCodeProof:
        return cast(AppCodeProof, self.kind)

    @property
    def answers(self) -> AnswersProof:
        return cast(AnswersProof, self.kind)


class Kind:
    """Anything listed on Security info: registered, counted, added under a policy flag."""

    key: ClassVar[str]
    label: ClassVar[Promise]
    # The kind as a sentence names it, for actions' accessible names ("Delete phone …").
    noun: ClassVar[Promise]
    description: ClassVar[Promise]
    policy_flag: ClassVar[str] = ""  # the AuthenticationPolicy field that allows adding it
    add_url_name: ClassVar[str] = ""  # empty: people cannot add it themselves
    max_count: ClassVar[int] = 1
    # Lower is stronger: the add list, the setup wizard and the default follow it.
    strength: ClassVar[float] = 100
    staff_allowed: ClassVar[bool] = True
    # Deleted by an admin's "Require re-registration" (what Microsoft's removes, and more).
    cleared_by_reregistration: ClassVar[bool] = False
    # A page on the second sign-in step that uses it instead of a method: (URL name, label).
    sign_in_fallback: ClassVar[tuple[str, Promise] | None] = None
    sends_code: ClassVar[bool] = False  # proved by a code sent to it
    # Offered by "Keep your account secure" (else added from Security info only).
    offered_at_setup: ClassVar[bool] = True

    def __str__(self) -> str:
        return str(self.label)

    def is_allowed(self, policy: "AuthenticationPolicy") -> bool:
        """Tell whether the organization's policy lets people add this kind."""
        return bool(self.policy_flag) and bool(getattr(policy, self.policy_flag))

    def may_add(self, user: "User", policy: "AuthenticationPolicy") -> bool:
        return self.is_allowed(policy) and (self.staff_allowed or not user.is_staff)

    def works_at(self, request: HttpRequest) -> bool:
        """Tell whether it can be set up at the address this request came to (a passkey
        cannot at an IP address)."""
        return True

    def rows(self, user: "User", methods: list[Method]) -> list[Row]:
        """Return the user's registrations of this kind as the Security info page lists them.

        `methods` are all of the user's Method rows, read once for every kind.
        """
        return []

    def count(self, rows: list[Row]) -> int:
        """How many the user has, against `max_count`."""
        return len(rows)

    def mail_addresses(self, user: "User") -> list[str]:
        """Addresses of the user's registrations of this kind that mail about the account
        goes to as well (a password reset's confirmation)."""
        return []

    def clear(self, user: "User") -> int:
        """Delete all of the user's registrations of this kind (an admin's "Require
        re-registration", for kinds `cleared_by_reregistration`); return how many went."""
        raise NotImplementedError

    def reset_options(self) -> Sequence[ResetOption]:
        """The ways it can prove who you are at a self-service password reset."""
        return ()

    def offers_at_reset(self, option: ResetOption, policy: "AuthenticationPolicy") -> bool:
        """Tell whether the policy lets a reset offer this option of the kind."""
        return bool(getattr(policy, option.policy_flag))

    # Whether a reset's list shows a hint of the registered one (the end of a phone number).
    # Only for kinds whose hint a made-up one can imitate exactly: see reset_hint().
    gives_reset_hint: ClassVar[bool] = False

    def reset_hint(self, method: Method | None, number: int) -> str:
        """The hint a reset shows for this kind: of the account's `method`, or, where it has
        none (or there is no account), one made from `number`, a keyed hash of the address
        that is the same on every visit. Both must be alike in shape and in how often each
        value comes up, or the hint would tell a real method from a made-up one."""
        return ""


class MethodKindBase(Kind):
    """A kind whose registrations are Method rows (an app, a phone, an address, a key)."""

    change_url_name: ClassVar[str] = ""  # where to change a registered one (by its pk)
    change_label: ClassVar[Promise] = gettext_lazy("Change")
    delete_notes: ClassVar[Sequence[Promise]] = ()
    # How a code reaches it ("" for none); phones may be texted or called.
    channels: ClassVar[Sequence[str]] = (Method.Channel.NONE,)
    completes_sign_in: ClassVar[bool] = True  # usable to complete a multi-factor sign-in
    can_be_default: ClassVar[bool] = True
    # A template that proves it without a code (a passkey's ceremony); else a code form.
    ceremony_template: ClassVar[str] = ""
    icon: ClassVar[str] = "shield"  # a symbol of static/portal/icons.svg, beside its options

    def rows(self, user: "User", methods: list[Method]) -> list[Row]:
        return [self.row(method) for method in methods if method.kind == self.key]

    def clear(self, user: "User") -> int:
        deleted, _by_model = Method.objects.filter(user=user, kind=self.key).delete()
        return deleted

    def detail(self, method: Method) -> str:
        """What the owner recognizes it by, as they read it: a number in their region's format
        (see `security_info.phones.numbers.format_phone`), an address, a name."""
        return method.detail

    def row(self, method: Method) -> Row:
        detail = self.detail(method)
        target = _("%(kind)s %(detail)s") % {"kind": self.noun, "detail": detail}
        actions = []
        if self.change_url_name:
            change_url = reverse(self.change_url_name, args=[method.pk])
            actions.append(action(self.change_label, change_url, target))
        delete_url = reverse("security_info:delete", args=[method.pk])
        actions.append(action(_("Delete"), delete_url, target))
        return Row(
            kind=method.get_kind_display(),
            detail=detail,
            actions=actions,
            is_default=method.is_default,
            added=method.created_at,
            used=method.last_used_at,
            method_id=method.pk,
        )

    def is_second_factor(self, policy: "AuthenticationPolicy") -> bool:
        """Tell whether a registered one can complete a multi-factor sign-in under the policy."""
        return self.completes_sign_in

    def allowed_channels(self, policy: "AuthenticationPolicy") -> list[str]:
        return list(self.channels)

    def sign_in_options(
        self, method: Method, policy: "AuthenticationPolicy"
    ) -> list["SignInOption"]:
        if not self.is_second_factor(policy):
            return []
        return [SignInOption(self, method, channel) for channel in self.allowed_channels(policy)]

    def option_strength(self, channel: str) -> float:
        return self.strength

    def option_icon(self, channel: str) -> str:
        return self.icon

    def option_hint(self, channel: str) -> str:
        return ""

    def destination(self, method: Method) -> str:
        """Where its codes go, or what identifies it: a number, an address, a name."""
        return method.detail

    def masked_destination(self, method: Method) -> str:
        """The destination for someone who has only proved a password."""
        return self.destination(method)

    def shown_destination(self, method: Method) -> str:
        """The destination as its owner reads it (a number in their region's format)."""
        return self.detail(method)

    def option_label(self, option: "SignInOption", *, reveal: bool) -> str:
        raise NotImplementedError

    def prompt(self, option: "SignInOption", *, sent: bool, reveal: bool) -> SafeString:
        """What the verify pages say above the code field (or the ceremony's button)."""
        raise NotImplementedError

    def send_label(self, option: "SignInOption") -> str:
        """The button that sends a code, for kinds that send one."""
        return ""

    def start(self, request: HttpRequest, option: "SignInOption", purpose: str) -> None:
        """Begin proving the option: send its code if it has one (raise SendRefused if that
        fails)."""

    def verify(self, request: HttpRequest, option: "SignInOption", purpose: str, code: str) -> None:
        """Accept the code for the option or raise ChallengeError."""
        raise NotImplementedError


@dataclass(frozen=True)
class SignInOption:
    """One way to complete a sign-in: a method, and for phones whether by text or by call."""

    kind: MethodKindBase = field(compare=False)
    method: Method
    channel: str

    @property
    def key(self) -> str:
        return f"{self.method.pk}:{self.channel}"

    @property
    def second_factor(self) -> str:
        """How the sign-in log names it, e.g. "mobile_phone:sms"."""
        return f"{self.method.kind}:{self.channel}" if self.channel else self.method.kind

    @property
    def strength(self) -> float:
        return self.kind.option_strength(self.channel)

    @property
    def icon(self) -> str:
        return self.kind.option_icon(self.channel)

    @property
    def hint(self) -> str:
        """What it is ("Office phone"), under a label that says what happens; "" when the
        label says it already."""
        return self.kind.option_hint(self.channel)

    @property
    def label(self) -> str:
        return self.kind.option_label(self, reveal=True)

    @property
    def masked_label(self) -> str:
        """The label for someone who has only proved a password: numbers and addresses hidden."""
        return self.kind.option_label(self, reveal=False)

    @property
    def destination(self) -> str:
        return self.kind.destination(self.method)

    @property
    def masked_destination(self) -> str:
        return self.kind.masked_destination(self.method)

    @property
    def shown_destination(self) -> str:
        return self.kind.shown_destination(self.method)

    @property
    def sends_code(self) -> bool:
        return self.kind.sends_code

    @property
    def ceremony_template(self) -> str:
        return self.kind.ceremony_template

    @property
    def send_label(self) -> str:
        return self.kind.send_label(self)

    def prompt(self, *, sent: bool, reveal: bool) -> SafeString:
        return self.kind.prompt(self, sent=sent, reveal=reveal)


def mask_phone(phone: str) -> str:
    """Show only the last two digits: "+44 ••••••••12"."""
    return f"{phone[:3]} {'•' * max(len(phone) - 5, 0)}{phone[-2:]}" if len(phone) > 5 else "•••"


def mask_email(email: str) -> str:
    """Show the first letter and the domain: "a•••@example.com"."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def prompt_html(message: str, destination: str = "") -> SafeString:
    """A translated prompt with the destination, escaped, in bold for `%(to)s`."""
    to = format_html("<strong>{}</strong>", destination)
    # Both parts are escaped: the message here, the destination by format_html.
    return mark_safe(conditional_escape(message) % {"to": to})  # noqa: S308


def phones_available() -> bool:
    """Tell whether texts and calls can go out at all (PHONE_BACKEND is not "none")."""
    return settings.PHONE_BACKEND != "none"


class SentCodeKind(MethodKindBase):
    """A kind proved by a code sent to it: texted or called to a phone, mailed to an address."""

    sends_code = True

    def challenge_channel(self, channel: str) -> str:
        """How a code for this option goes out: challenges.SMS, VOICE or EMAIL."""
        raise NotImplementedError

    def challenge_for(self, purpose: str, method: Method, channel: str) -> Challenge:
        """Describe a challenge to a registered method of this kind."""
        return Challenge(
            purpose=purpose,
            user_id=method.user_id,
            method_id=method.pk,
            kind=method.kind,
            channel=self.challenge_channel(channel),
            destination=self.destination(method),
            extension=method.extension,
        )

    def destination(self, method: Method) -> str:
        raise NotImplementedError

    def start(self, request: HttpRequest, option: "SignInOption", purpose: str) -> None:
        challenges.send(request, self.challenge_for(purpose, option.method, option.channel))

    def verify(self, request: HttpRequest, option: "SignInOption", purpose: str, code: str) -> None:
        challenge = challenges.check(request, purpose, code)
        if challenge.method_id != option.method.pk:
            raise InvalidCode(_("That code was sent for another method."))

    def registered_for(self, user_id: int | None) -> Method | None:
        """Return the active account's method of this kind, if it has one (for a reset: queried
        for unknown accounts too, where it finds nothing, so both cost the same)."""
        # No account (None) finds nothing, after the same query.
        methods = Method.objects.filter(user_id=user_id, user__is_active=True)  # type: ignore[misc]
        return methods.filter(kind=self.key).first()

"""Load the demo: two organizations, five accounts with known passwords, 60 days of sign-ins.

``./dev demo`` runs this on every start, so it is idempotent. Organizations are matched by slug
and accounts by email; whatever already exists is left exactly as it is (an admin's edits made
during the demo survive a restart), and an account that already has sign-in events gets no
more. A second run writes nothing and skips all password hashing, so it takes a moment.

The sign-in history is generated from a fixed seed, so every fresh demo looks the same: mostly
successes from each person's office and home with their usual browsers, the odd mistyped
password, a rate-limited burst, a trip abroad and a scripted attack. Country, browser, OS and
device are filled in by the same helpers that record real sign-ins.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from organizations.models import AuthenticationPolicy, Membership, Organization
from portal.models import User
from security_info.models import Method, SecurityAnswer, SecurityQuestion
from security_info.security_questions.answers import hash_answer
from signins.geo import country_of
from signins.models import SignInEvent

# Known on purpose: the command prints them, and refuses to run with DEBUG off.
DEMO_PASSWORDS = {
    "admin@northwind.example": "Harbour-Lantern-2026!",
    "alice@northwind.example": "Copper-Meadow-2026!",
    "bob@northwind.example": "Violet-Canyon-2026!",
    "carol@northwind.example": "Maple-Orbit-2026!",
    "dave@northwind.example": "Silent-River-2026!",
}

# Their sign-in methods. Codes go to the development outbox page instead of a phone.
# The numbers are reserved for drama and fiction, so none rings anyone, and each is one the
# phone form accepts again (security_info/phones/numbers.py): Ofcom's drama mobiles (07700
# 900xxx) are not valid numbers to libphonenumber, so the London people have Australia's
# (ACMA's 0491 570 xxx), which are; the office phone is in Ofcom's London drama range and
# Carol's mobile one the Bundesnetzagentur lists for films.
DEMO_METHODS = {
    "admin@northwind.example": (
        {"kind": "mobile_phone", "phone": "+61491570006", "channel": "sms", "is_default": True},
    ),
    "alice@northwind.example": (
        {"kind": "mobile_phone", "phone": "+61491570156", "channel": "sms", "is_default": True},
        {"kind": "office_phone", "phone": "+442079460123", "extension": "210"},
        {"kind": "email", "email": "alice.archer@personal.example"},
    ),
    "carol@northwind.example": (
        {"kind": "mobile_phone", "phone": "+4915228817386", "channel": "voice", "is_default": True},
        {"kind": "email", "email": "carol.chen@personal.example"},
    ),
}
# Alice's answers, to predefined questions (security_info/migrations/0002): stored the way the
# Security info page stores them, so a reset accepts them however they are capitalised.
DEMO_ANSWERS = {
    "In what city did your parents meet?": "Lisbon",
    "What is your favorite food?": "Lasagne",
    "What was the name of your first pet?": "Biscuit",
}
DEMO_PASSWORD_AGE_DAYS = 41
# Two verifications to reset a password: security questions are never the first (they only
# add to a method already proved), so this is what lets Alice try them.
DEMO_POLICY = {"allow_app_passwords": True, "remember_browser_days": 14, "reset_gates": 2}

SEED = 2026
HISTORY_DAYS = 60
PORTAL_URL = "http://localhost:8000/"
ADMIN_URL = f"{PORTAL_URL}admin/"
RESET_URL = f"{PORTAL_URL}password/reset/"

ORGANIZATIONS = {
    "northwind": {
        "name": "Northwind Traders",
        "primary_domain": "northwind.example",
        "privacy_statement_url": "https://www.northwind.example/privacy/",
        "privacy_contact": "privacy@northwind.example",
        "technical_contact": "it-admins@northwind.example",
        "helpdesk_url": "https://help.northwind.example/",
    },
    "tailspin": {
        "name": "Tailspin Toys",
        "primary_domain": "tailspin.example",
        "privacy_statement_url": "https://www.tailspin.example/privacy/",
        "privacy_contact": "privacy@tailspin.example",
        "technical_contact": "it@tailspin.example",
        "helpdesk_url": "https://support.tailspin.example/",
    },
}

HOME, GUEST = Membership.Kind.HOME, Membership.Kind.GUEST


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    fields: dict
    memberships: tuple[tuple[str, Membership.Kind], ...] = (("northwind", HOME),)


# Directory phone numbers are from the ranges reserved for drama (Ofcom, Bundesnetzagentur).
ACCOUNTS = (
    DemoAccount(
        "admin@northwind.example",
        "Administrator (staff, superuser)",
        {
            "given_name": "Ada",
            "surname": "Admin",
            "job_title": "IT Administrator",
            "department": "IT",
            "is_staff": True,
            "is_superuser": True,
        },
    ),
    DemoAccount(
        "alice@northwind.example",
        "Employee, Research; guest in Tailspin Toys",
        {
            "given_name": "Alice",
            "surname": "Archer",
            "job_title": "Senior Engineer",
            "department": "Research",
            "office_location": "Building 4, Room 210",
            "business_phone": "+44 20 7946 0210",
            "mobile_phone": "+44 7700 900210",
            "time_zone": "Europe/London",
        },
        memberships=(("northwind", HOME), ("tailspin", GUEST)),
    ),
    DemoAccount(
        "bob@northwind.example",
        "Employee, Product",
        {
            "given_name": "Bob",
            "surname": "Baker",
            "job_title": "Product Manager",
            "department": "Product",
        },
    ),
    DemoAccount(
        "carol@northwind.example",
        "Employee, Finance (German, Berlin time)",
        {
            "given_name": "Carol",
            "surname": "Chen",
            "job_title": "Accountant",
            "department": "Finance",
            "business_phone": "+49 30 23125 042",
            "preferred_language": "de",
            "time_zone": "Europe/Berlin",
        },
    ),
    DemoAccount(
        "dave@northwind.example",
        "Employee (disabled)",
        {
            "given_name": "Dave",
            "surname": "Davies",
            "job_title": "Sales Representative",
            "department": "Sales",
            "is_active": False,
        },
    ),
)

# User-Agents of current browsers, exactly as they arrive in the header.
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/138.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.5 Safari/605.1.15"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.5 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/138.0.0.0 Mobile Safari/537.36"
)
SCRIPT = "python-requests/2.32.4"

# Public addresses whose registered country iptocc knows (each checked with country_of):
# documentation and private ranges have no country, so they would leave the column empty.
LONDON_OFFICE = "81.2.69.160"  # GB
BERLIN_OFFICE = "91.12.88.130"  # DE


@dataclass(frozen=True)
class Place:
    """Where someone signs in from, and the browsers they use there (most used first)."""

    ip: str
    user_agents: tuple[str, ...]


@dataclass(frozen=True)
class Incident:
    """Attempts outside the routine, a few seconds apart, on a given day.

    Each outcome is "ok" or a failure reason. "unknown_account" attempts are made with
    `typed_email` and belong to no account, like the real ones.
    """

    days_ago: int
    at: time
    ip: str
    user_agent: str
    outcomes: tuple[str, ...]
    typed_email: str = ""
    app: SignInEvent.App = SignInEvent.App.PORTAL


@dataclass(frozen=True)
class Routine:
    """How one person usually signs in, in their own time zone."""

    tz: str
    office: Place
    home: Place
    # Weights of 0, 1 and 2 sign-ins on a working day.
    workday_sign_ins: tuple[int, int, int] = (1, 6, 3)
    weekend_chance: float = 0.2
    typo_chance: float = 0.07
    # A disabled account's routine stops this many days ago.
    until_days_ago: int = 1
    incidents: tuple[Incident, ...] = ()


ROUTINES = {
    "admin@northwind.example": Routine(
        tz="Europe/London",
        office=Place(LONDON_OFFICE, (EDGE_WINDOWS, FIREFOX_LINUX)),
        home=Place("86.164.211.9", (FIREFOX_LINUX,)),  # GB
        workday_sign_ins=(5, 4, 1),
        weekend_chance=0.05,
        incidents=(
            Incident(
                2, time(9, 14), LONDON_OFFICE, EDGE_WINDOWS, ("ok",), app=SignInEvent.App.ADMIN
            ),
        ),
    ),
    "alice@northwind.example": Routine(
        tz="Europe/London",
        office=Place(LONDON_OFFICE, (CHROME_WINDOWS, SAFARI_IPHONE)),
        home=Place("86.130.42.17", (FIREFOX_LINUX, SAFARI_IPHONE)),  # GB
        incidents=(
            # A conference in the US (times are London time).
            Incident(23, time(15, 2), "73.162.34.9", SAFARI_IPHONE, ("ok",)),
            Incident(22, time(21, 40), "73.162.34.9", SAFARI_IPHONE, ("wrong_password", "ok")),
            # A mistyped address: failures that belong to no account.
            Incident(
                9,
                time(8, 51),
                LONDON_OFFICE,
                CHROME_WINDOWS,
                ("unknown_account", "unknown_account", "ok"),
                typed_email="alcie@northwind.example",
            ),
        ),
    ),
    "bob@northwind.example": Routine(
        tz="Europe/London",
        office=Place(LONDON_OFFICE, (SAFARI_MAC, CHROME_ANDROID)),
        home=Place("2a00:23c5:8f1e:4a01::1b", (CHROME_ANDROID, SAFARI_MAC)),  # GB
        typo_chance=0.1,
        incidents=(
            # A forgotten password after a holiday: five failures, then the limit kicks in.
            Incident(
                12,
                time(21, 30),
                "2a00:23c5:8f1e:4a01::1b",
                CHROME_ANDROID,
                ("wrong_password",) * 5 + ("rate_limited",) * 2,
            ),
            Incident(12, time(21, 58), "2a00:23c5:8f1e:4a01::1b", CHROME_ANDROID, ("ok",)),
            # Someone else trying his address with a script, from abroad.
            Incident(5, time(3, 12), "200.160.0.8", SCRIPT, ("wrong_password",) * 2),  # BR
        ),
    ),
    "carol@northwind.example": Routine(
        tz="Europe/Berlin",
        office=Place(BERLIN_OFFICE, (EDGE_WINDOWS, SAFARI_IPAD)),
        home=Place("93.201.17.44", (SAFARI_IPAD, FIREFOX_WINDOWS)),  # DE
        incidents=(
            # A holiday in Spain.
            Incident(33, time(10, 20), "80.58.61.250", SAFARI_IPAD, ("ok",)),  # ES
            Incident(31, time(19, 45), "80.58.61.250", SAFARI_IPAD, ("ok",)),
        ),
    ),
    "dave@northwind.example": Routine(
        tz="Europe/London",
        office=Place(LONDON_OFFICE, (CHROME_WINDOWS,)),
        home=Place("86.164.211.9", (CHROME_ANDROID,)),  # GB
        workday_sign_ins=(3, 6, 1),
        until_days_ago=25,
        # Disabled when he left; his phone still tries.
        incidents=(Incident(3, time(8, 5), "86.164.211.9", CHROME_ANDROID, ("inactive_account",)),),
    ),
}

OFFICE_HOURS: tuple[int, ...] = (8, 8, 9, 9, 9, 10, 10, 11, 12, 13, 14, 14, 15, 16, 17)
HOME_HOURS: tuple[int, ...] = (7, 7, 18, 19, 19, 20, 20, 21, 22)
WEEKEND_HOURS = tuple(range(9, 22))


class Command(BaseCommand):
    help = (
        "Create the demo organizations, accounts (with known passwords) and sign-in history. "
        "Idempotent: safe to run on every start. Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo passwords are public: never in production.",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with publicly known passwords while DEBUG is "
                "off: this looks like a production instance. Pass --force if it really is a demo."
            )
        with transaction.atomic():
            organizations, new_organizations = self._organizations()
            users, new_users, new_memberships = self._accounts(organizations)
            new_events = self._sign_in_history(users)
            self._security_info(organizations, users)
        self._report(new_organizations, new_users, new_memberships, new_events)

    def _organizations(self) -> tuple[dict[str, Organization], int]:
        organizations, created_count = {}, 0
        for slug, fields in ORGANIZATIONS.items():
            organization, created = Organization.objects.get_or_create(slug=slug, defaults=fields)
            organizations[slug] = organization
            created_count += created
        return organizations, created_count

    def _accounts(self, organizations: dict[str, Organization]) -> tuple[list[User], int, int]:
        users, new_users, new_memberships = [], 0, 0
        for account in ACCOUNTS:
            user, created = User.objects.get_or_create(email=account.email, defaults=account.fields)
            if created:
                # Hashed only for a new account: hashing is what would make a restart slow.
                user.set_password(DEMO_PASSWORDS[account.email])
                user.password_changed_at = timezone.now() - timedelta(days=DEMO_PASSWORD_AGE_DAYS)
                user.save(update_fields=["password", "password_changed_at"])
                new_users += 1
            for slug, kind in account.memberships:
                if kind == HOME and Membership.objects.home().filter(user=user).exists():
                    continue  # at most one home, and an existing one is left alone
                _, created = Membership.objects.get_or_create(
                    user=user, organization=organizations[slug], defaults={"kind": kind}
                )
                new_memberships += created
            users.append(user)
        return users, new_users, new_memberships

    def _sign_in_history(self, users: list[User]) -> int:
        now = timezone.now()
        seeded = set(
            SignInEvent.objects.filter(user__in=users).values_list("user_id", flat=True).distinct()
        )
        events = []
        for user in users:
            if user.pk not in seeded:
                events += _history(user, ROUTINES[user.email], now)
        events.sort(key=lambda event: event.created_at)
        SignInEvent.objects.bulk_create(events)
        return len(events)

    def _security_info(self, organizations: dict[str, Organization], users: list[User]) -> None:
        """Give the demo people sign-in methods (Bob none: he meets the setup wizard)."""
        AuthenticationPolicy.objects.get_or_create(
            organization=organizations["northwind"], defaults=DEMO_POLICY
        )
        with_methods = set(
            Method.objects.filter(user__in=users).values_list("user_id", flat=True).distinct()
        )
        for user in users:
            methods = DEMO_METHODS.get(user.email, ())
            if user.pk in with_methods or not methods:
                continue
            Method.objects.bulk_create(Method(user=user, **fields) for fields in methods)
            if user.email == "alice@northwind.example":
                questions = SecurityQuestion.objects.filter(text__in=DEMO_ANSWERS)
                SecurityAnswer.objects.bulk_create(
                    SecurityAnswer(
                        user=user,
                        question=question,
                        answer_hash=hash_answer(DEMO_ANSWERS[question.text]),
                    )
                    for question in questions
                )

    def _report(self, organizations: int, users: int, memberships: int, events: int) -> None:
        out, style = self.stdout, self.style
        if organizations or users or memberships or events:
            out.write(
                style.SUCCESS(
                    f"Demo data created: {organizations} organizations, {users} accounts, "
                    f"{memberships} memberships, {events} sign-in events."
                )
            )
        else:
            out.write(style.SUCCESS("Demo data already present: nothing changed."))
        out.write("")
        out.write(style.MIGRATE_HEADING("My Account demo"))
        out.write(f"  Portal:  {PORTAL_URL}")
        out.write(f"  Admin:   {ADMIN_URL}")
        out.write("")
        rows = [(a.email, DEMO_PASSWORDS[a.email], a.role) for a in ACCOUNTS]
        email_width = max(len(row[0]) for row in rows)
        password_width = max(len(row[1]) for row in rows)
        out.write(
            style.MIGRATE_HEADING(
                f"  {'Account':<{email_width}}  {'Password':<{password_width}}  Role"
            )
        )
        for (email, password, role), account in zip(rows, ACCOUNTS, strict=True):
            line = f"  {email:<{email_width}}  {password:<{password_width}}  {role}"
            active = account.fields.get("is_active", True)
            out.write(line if active else style.WARNING(line))
        out.write("")
        out.write(
            style.NOTICE("  These passwords are public. Accounts that already existed keep theirs.")
        )
        out.write("")
        out.write("  Signing in asks for a second factor: Alice and the admin get a code by text,")
        out.write("  Carol a call that asks her to press # (use the outbox's Press # button). Both")
        out.write(f"  appear on {PORTAL_URL}dev/outbox/ (nothing is sent).")
        out.write("  Bob has no method yet: he meets the 'Keep your account secure' wizard.")
        out.write("")
        out.write("  A password reset asks for two verifications. Alice can use a code to her")
        out.write("  personal email (mail appears in this terminal), then her security questions")
        out.write(f"  at {RESET_URL} (capitals and spaces don't matter):")
        question_width = max(len(question) for question in DEMO_ANSWERS)
        for question, answer in DEMO_ANSWERS.items():
            out.write(f"    {question:<{question_width}}  {answer}")


def _history(user: User, routine: Routine, now: datetime) -> list[SignInEvent]:
    """Generate one person's sign-ins over the last HISTORY_DAYS days, the same every time."""
    rng = random.Random(f"{SEED}:{user.email}")
    tz = ZoneInfo(routine.tz)
    today = now.astimezone(tz).date()
    events = []

    def at(days_ago: int, clock: time) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), clock, tzinfo=tz)

    for days_ago in range(HISTORY_DAYS, routine.until_days_ago - 1, -1):
        workday = (today - timedelta(days=days_ago)).weekday() < 5
        if workday:
            count = rng.choices((0, 1, 2), weights=routine.workday_sign_ins)[0]
        else:
            count = int(rng.random() < routine.weekend_chance)
        for _ in range(count):
            if workday and rng.random() < 0.75:
                place, hours = routine.office, OFFICE_HOURS
            else:
                place, hours = routine.home, HOME_HOURS if workday else WEEKEND_HOURS
            user_agent = rng.choices(
                place.user_agents, weights=list(range(len(place.user_agents) + 1, 1, -1))
            )[0]
            when = at(days_ago, time(rng.choice(hours), rng.randrange(60), rng.randrange(60)))
            if rng.random() < routine.typo_chance:
                typo_at = when - timedelta(seconds=rng.randint(15, 90))
                events.append(_event(user, typo_at, place.ip, user_agent, "wrong_password"))
            events.append(_event(user, when, place.ip, user_agent, "ok"))

    for incident in routine.incidents:
        when = at(incident.days_ago, incident.at)
        for outcome in incident.outcomes:
            events.append(
                _event(
                    user,
                    when,
                    incident.ip,
                    incident.user_agent,
                    outcome,
                    typed_email=incident.typed_email,
                    app=incident.app,
                )
            )
            when += timedelta(seconds=rng.randint(8, 40))
    return events


def _event(
    user: User,
    when: datetime,
    ip: str,
    user_agent: str,
    outcome: str,
    *,
    typed_email: str = "",
    app: SignInEvent.App = SignInEvent.App.PORTAL,
) -> SignInEvent:
    """Build an event the way signins.services.record_sign_in would have recorded it."""
    # Imported here: loading the parser's regexes takes about a second, which a restart that
    # finds the history already in place should not pay.
    from portal.browsers import parse_user_agent  # noqa: PLC0415 (see above)

    browser = parse_user_agent(user_agent)
    unknown = outcome == SignInEvent.Reason.UNKNOWN_ACCOUNT
    return SignInEvent(
        user=None if unknown else user,
        email=typed_email if unknown else user.email,
        created_at=when,
        result=SignInEvent.Result.SUCCESS if outcome == "ok" else SignInEvent.Result.FAILURE,
        reason="" if outcome == "ok" else SignInEvent.Reason(outcome),
        app=app,
        method="password",
        ip=ip,
        country=country_of(ip),
        browser=browser.label[:64],
        os=browser.os[:64],
        device=browser.device,
        user_agent=user_agent[:512],
    )

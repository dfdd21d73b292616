"""Settings for My Account, read from the environment.

Every value has a default that runs on a fresh checkout (SQLite under var/, DEBUG on, console
mail, local-memory cache). Production sets DEBUG=0 and at least SECRET_KEY and ALLOWED_HOSTS;
README.md lists every variable. A bad value stops the process with ImproperlyConfigured
instead of being guessed at.
"""

import os
import zoneinfo
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from psycopg_pool import ConnectionPool

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """Return the variable, or the contents of the file named by NAME_FILE (for secrets)."""
    if path := os.environ.get(f"{name}_FILE"):
        try:
            return Path(path).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path!r} ({e})") from e
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def env_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}; got {number}")
    return number


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {value!r}") from None
    if not number >= minimum:  # also refuses NaN
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """Return the variable, which must be one of `choices` (compared without case)."""
    value = os.environ.get(name, default).strip()
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def env_redis_url(name: str) -> str:
    """Return a Redis URL (or ""), refused at start unless it is a redis://, rediss:// or
    unix:// URL that names a host (or socket) and a numbered database, if any.

    The message never repeats the value: it may hold a password."""
    value = env_str(name).strip()
    if value and (problem := _redis_url_problem(value)):
        raise ImproperlyConfigured(
            f"{name} {problem}: use redis://[:password@]host[:port][/db], rediss://… (TLS) "
            "or unix:///path/to/redis.sock"
        )
    return value


def _redis_url_problem(value: str) -> str:
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 (reading it is the check: a port that is not a number raises)
    except ValueError:
        return "cannot be read (is the port a number?)"
    if url.scheme == "unix":
        return "" if url.path else "names no socket"
    if url.scheme not in {"redis", "rediss"}:
        return f"has the scheme {url.scheme!r}" if url.scheme else "has no scheme"
    if not url.hostname:
        return "names no host"
    database = url.path.strip("/")
    if database and not database.isdigit():
        return "names a database that is not a number"
    return ""


def env_email(name: str, default: str) -> str:
    """Return a sender address, "no-reply@example.com" or "Name <no-reply@example.com>"."""
    value = os.environ.get(name, default).strip()
    _name, address = parseaddr(value)
    try:
        if "\n" in value or "\r" in value or ("<" in value and not value.endswith(">")):
            raise ValidationError("malformed")
        validate_email(address)
    except ValidationError:
        raise ImproperlyConfigured(
            f"{name} must be an email address, or a name and one: "
            f"'My Account <no-reply@example.com>'; got {value!r}"
        ) from None
    return value


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off")
    SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# "This page expired" for people, JSON for the API and scripts.
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
SITE_NAME = os.environ.get("SITE_NAME", "My Account")
# The portal's public address, e.g. https://account.example.com: where Twilio posts what a
# person pressed during a call. Empty: the address the request that placed the call came in by.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SITE_URL must be an http:// or https:// address")

# The kernel first (its templates override allauth's and the admin's), then what the page apps
# build on, then the page apps; the user admin's actions follow this order.
INSTALLED_APPS = [
    "portal",
    "signins",
    "organizations",
    "security_info.password",
    "security_info",
    "devices",
    "privacy",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_tasks_db",  # the queue for TASKS_BACKEND=django_tasks_db.DatabaseBackend
    "myaccount",  # the project's own command: seed_demo
]

MIDDLEWARE = [
    # First: health checks answer whatever else is broken (the database a session needs).
    "portal.middleware.HealthCheckMiddleware",
    # Development only: 127.0.0.1 leads to localhost, where passkeys work too.
    *(["portal.middleware.LocalhostMiddleware"] if DEBUG else []),
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files in production; runserver serves them in development.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Outside the rest, so that every answer to a signed-in person is covered: the redirects
    # CommonMiddleware makes too. It reads request.user, set by AuthenticationMiddleware.
    "portal.middleware.NeverCacheSignedInMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.BrowserCheckMiddleware",
    # After messages (it says why a session ended) and before the interrupts of PortalMiddleware.
    "portal.middleware.SessionTimeoutMiddleware",
    "portal.middleware.PortalMiddleware",
    "organizations.middleware.HomeOrganizationMiddleware",
    "portal.middleware.RateLimitMiddleware",
]

# Signing in, after allauth has checked the password (myaccount/adapter.py records every
# attempt): each stage is a short class in the app it belongs to, run in this order.
SIGN_IN_STAGES = [
    # 1. Device: identify the browser and refuse a disabled one (the Devices page brings it).
    # 2. Second factor: a browser remembered after a multi-factor sign-in skips it; everyone
    #    else is challenged with their default method and may pick another.
    "security_info.stages.RememberedBrowserStage",
    "security_info.stages.SecondFactorStage",
    # 3. Interrupts due at this sign-in (declared by the apps: replace an expired or temporary
    #    password, register a method), met right after it.
    "portal.stages.InterruptsStage",
    # 4. Session: bind the session to the device (the Devices page brings it).
]

ROOT_URLCONF = "myaccount.urls"
WSGI_APPLICATION = "myaccount.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "security_info.context_processors.passkeys",
            ],
        },
    },
]

# Database: SQLite under var/ by default; DATABASE_URL=postgres://... for PostgreSQL, served
# through psycopg's connection pool (one pool per process, so CONN_MAX_AGE stays 0).
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'myaccount.sqlite3'}")
try:
    _database = dj_database_url.parse(DATABASE_URL)
except ValueError as e:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {e}") from None
if _database["ENGINE"] == "django.db.backends.postgresql":
    _database["OPTIONS"] = {
        **_database.get("OPTIONS", {}),
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            "timeout": 10,
            # A connection the server dropped (a restart, pg_terminate_backend) is found out
            # and replaced before a request gets it, instead of costing that request a 500.
            "check": ConnectionPool.check_connection,
        },
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1),
    }
elif _database["ENGINE"] == "django.db.backends.sqlite3":
    if _database["NAME"] not in ("", ":memory:"):
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the dev server read while a write is in progress; IMMEDIATE avoids the
    # "database is locked" error when two requests upgrade a read to a write at once, and a
    # writer waits up to 5 s for another to finish (SQLite's busy timeout).
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 5,
    }
    # Each thread keeps its connection between requests: opening one (and running the pragmas
    # again) costs more than most pages' queries.
    _database["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0)
    _database["CONN_HEALTH_CHECKS"] = True
else:
    raise ImproperlyConfigured("DATABASE_URL must point at SQLite or PostgreSQL")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: rate limits and the parsed user-agent cache live here, so production uses Redis to
# share them across processes. Local memory is per process and only fit for one.
REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, reusing its client objects (portal.caching.RedisCache).
            "BACKEND": "portal.caching.RedisCache",
            "LOCATION": REDIS_URL,
            # A hung Redis costs a request a second, not a worker.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Django's database sessions, written once per sign-in (portal.sessions.SessionStore).
SESSION_ENGINE = "portal.sessions"
# How long a signed-in session lasts (portal.sessions; NIST SP 800-63B AAL2 by default). Without
# "keep me signed in" the cookie ends with the browser, and the session after
# SESSION_IDLE_MINUTES without a request or SESSION_ABSOLUTE_HOURS after signing in; with it,
# SESSION_COOKIE_AGE (seconds) after signing in, however idle. These are the defaults: an
# organization's authentication policy can set its own, through SESSION_POLICY.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12, minimum=1)
SESSION_REMEMBER_OFFERED = env_bool("SESSION_REMEMBER_OFFERED", True)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14, minimum=300)
SESSION_POLICY = "organizations.policies.session_policy"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AUTH_USER_MODEL = "portal.User"
# allauth's, on the account the sign-in's other checks already read (myaccount/adapter.py).
AUTHENTICATION_BACKENDS = ["myaccount.adapter.AccountBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Kept so that hashes made elsewhere still verify, and are upgraded at the next sign-in.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email", "given_name", "surname", "display_name"]},
    },
    # Length, character classes, strength, banned words and reuse, per the organization's
    # policy; common passwords, read through look-alikes and added digits, for everyone.
    {"NAME": "security_info.password.passwords.PolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:overview"

# django-allauth: email + password, admins create the accounts, no enumeration.
ACCOUNT_ADAPTER = "myaccount.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "portal.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = None  # the sign-in form asks
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Every mail's subject starts with the product's name: ours (portal.delivery), allauth's and
# Django's own.
EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_EMAIL_SUBJECT_PREFIX = EMAIL_SUBJECT_PREFIX
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's own rate limits are off: portal.ratelimits counts every limit, with RATE_LIMITS.
ACCOUNT_RATE_LIMITS = False
# Actions and their rates: "20/h/ip,5/15m/key" is at most 20 an hour from one client address
# and 5 in 15 minutes for one key (an account, a phone number, a typed address).
RATE_LIMITS = {
    "login": "30/m/ip",
    # Per address only: allauth's per-account ("key") part would let anyone lock a user out
    # from everywhere by typing wrong passwords. Per-account protection is the smart lockout
    # (security_info/password/lockout.py), which keeps familiar places apart from the rest.
    "login_failed": "20/m/ip",
    # Limits that protect an account are never ones a stranger can use up against its owner:
    # "ipkey" counts per account from one client address, and the keys of the others are split
    # by side (signins.services.side_key): the user's familiar places and everywhere else.
    "send_code": "20/h/ip,5/15m/key",  # per account and side
    "send_code_to": "3/15m/key,10/d/key",  # per number or address and side: against SMS pumping
    "check_code": "30/h/ip,10/15m/ipkey",
    "check_app_password": "30/m/ip,10/m/ipkey",
    "check_security_answers": "10/h/ip,5/h/key",  # per account and side
    "check_recovery_code": "10/h/ip,5/15m/ipkey",
    "check_temporary_pass": "10/h/ip,5/15m/ipkey",
    "check_current_password": "10/15m/key",  # only the signed-in user reaches it
    # Self-service password reset, keyed by the typed address (account or not). reset_send is
    # tighter than send_code and send_code_to, so it is the one anyone meets first.
    "reset_start": "10/m/ip,5/15m/ipkey",
    "reset_send": "10/h/ip,3/15m/key",  # per address and side
    "reset_check": "30/h/ip,10/15m/key",  # per address and side
    "reset_finish": "10/m/ip,5/m/ipkey",
    # Each check scores the password with zxcvbn (up to ~0.1 s of CPU): per user too, so many
    # addresses sharing one account cannot multiply it. Only signed-in people can ask.
    "strength_check": "60/m/ip,30/m/user",
    "passkey_login": "10/m/ip",
    "dismiss_notice": "30/m/ip",
}
# Client IPs come from X-Forwarded-For only behind this many trusted reverse proxies.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if ALLAUTH_TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = False

# A password reset's "send me a code" takes at least this long (seconds) for every address,
# so the time a real send takes does not tell that an account exists. Above the provider's
# usual answer time; queue the sends (TASKS_BACKEND) to keep it short.
RESET_SEND_SECONDS = env_float("RESET_SEND_SECONDS", 0.5)

# Wrong second-factor codes in a row, from anywhere, before an account's second step locks
# until a password reset or an admin unlock (NIST SP 800-63B: at most 100).
SECOND_FACTOR_MAX_FAILURES = env_int("SECOND_FACTOR_MAX_FAILURES", 100, minimum=10)

# Sudo mode (portal.sudo): how recent a strong sign-in must be to see or change security info
# (seconds), where people prove one again, and how to tell whether they have a second factor.
SUDO_SECONDS = env_int("SUDO_SECONDS", 10 * 60, minimum=60)
SUDO_VERIFY_URL = "security_info:verify"
SUDO_HAS_SECOND_FACTOR = "security_info.methods.has_second_factor"

# Encrypts secrets at rest (authenticator seeds, queued messages) and keys the digests of app
# passwords, recovery codes and passes. Kept out of the database on purpose; `check --deploy`
# refuses the development key, SECRET_KEY, and warns of a short one.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
if not FIELD_ENCRYPTION_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY (or _FILE) is required when DEBUG is off")
    FIELD_ENCRYPTION_KEY = "development-only-field-encryption-key"
# Earlier keys, comma-separated, newest first (like SECRET_KEY_FALLBACKS): they still decrypt
# and match what they made, nothing new uses them. To rotate, move the current key here, set a
# new one, run `manage.py rotate_field_key`; see README.md for when an old key can go.
FIELD_ENCRYPTION_KEY_FALLBACKS = [
    key.strip() for key in env_str("FIELD_ENCRYPTION_KEY_FALLBACKS").split(",") if key.strip()
]

# Mail through Django's MAILERS: the console by default, SMTP when SMTP_HOST is set.
DEFAULT_FROM_EMAIL = env_email("DEFAULT_FROM_EMAIL", "My Account <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if SMTP_HOST := os.environ.get("SMTP_HOST"):
    _smtp_security = env_choice("SMTP_SECURITY", "starttls", ["starttls", "ssl", "none"])
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": SMTP_HOST,
                # The ports of RFC 8314 (implicit TLS) and RFC 6409 (submission, STARTTLS).
                "port": env_int(
                    "SMTP_PORT", 465 if _smtp_security == "ssl" else 587, minimum=1, maximum=65535
                ),
                "username": os.environ.get("SMTP_USERNAME", ""),
                "password": env_str("SMTP_PASSWORD"),
                "use_tls": _smtp_security == "starttls",
                "use_ssl": _smtp_security == "ssl",
                "timeout": env_int("SMTP_TIMEOUT", 10, minimum=1),
            },
        }
    }
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    raise ImproperlyConfigured("SMTP_HOST is required when DEBUG is off: mail carries resets")

# Tasks (codes by text, call and mail; notices): run inline by default, so a send is tried once,
# in the request. Production sets TASKS_BACKEND=django_tasks_db.DatabaseBackend and runs
# `manage.py worker`: sends are retried with backoff, a queue per channel (see portal.delivery).
# The backend is loaded when the apps are (portal.apps), so a wrong one stops the start too.
TASKS_BACKEND = (
    os.environ.get("TASKS_BACKEND", "").strip()
    or "django.tasks.backends.immediate.ImmediateBackend"
)
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default", "phone", "mail"]}}

# Delivery timing, for test stacks only (tests/faults shortens it so a fault suite runs in
# minutes): unset, portal.delivery and portal.worker keep their production defaults.
# DELIVERY_RETRY_DELAYS: seconds between attempts, comma-separated (default 5,15,30,60,...);
# DELIVERY_ATTEMPT_LEASE_SECONDS: when an attempt still "sending" was cut short (default 60);
# WORKER_SWEEP_SECONDS: how often a worker sweeps up after dead ones (default 15).
if _retry_delays := env_list("DELIVERY_RETRY_DELAYS"):
    try:
        DELIVERY_RETRY_DELAYS = tuple(float(delay) for delay in _retry_delays)
    except ValueError:
        raise ImproperlyConfigured(
            f"DELIVERY_RETRY_DELAYS must be numbers, comma-separated; got {_retry_delays!r}"
        ) from None
    if not all(delay > 0 for delay in DELIVERY_RETRY_DELAYS):
        raise ImproperlyConfigured("DELIVERY_RETRY_DELAYS must all be above 0")
if "DELIVERY_ATTEMPT_LEASE_SECONDS" in os.environ:
    DELIVERY_ATTEMPT_LEASE_SECONDS = env_int("DELIVERY_ATTEMPT_LEASE_SECONDS", 60, minimum=1)
if "WORKER_SWEEP_SECONDS" in os.environ:
    WORKER_SWEEP_SECONDS = env_int("WORKER_SWEEP_SECONDS", 15, minimum=1)

# Text messages and calls: "console" prints them (and lists them on /dev/outbox/ under DEBUG),
# "twilio" sends them, "none" turns phone methods off. TWILIO_API_BASE points the client at
# a Twilio-compatible server instead of Twilio's.
PHONE_BACKEND = os.environ.get("PHONE_BACKEND", "console" if DEBUG else "none")
if PHONE_BACKEND not in {"console", "twilio", "none"}:
    raise ImproperlyConfigured("PHONE_BACKEND must be console, twilio or none")
if PHONE_BACKEND == "console" and not DEBUG:
    raise ImproperlyConfigured("PHONE_BACKEND=console is for development (DEBUG) only")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "")
if TWILIO_API_BASE and (
    urlsplit(TWILIO_API_BASE).scheme not in {"http", "https"}
    or not urlsplit(TWILIO_API_BASE).netloc
):
    raise ImproperlyConfigured(
        f"TWILIO_API_BASE must be an http:// or https:// URL; got {TWILIO_API_BASE!r}"
    )
TWILIO_TIMEOUT = env_int("TWILIO_TIMEOUT", 10, minimum=1)  # seconds to connect, then to answer
if PHONE_BACKEND == "twilio" and not (
    TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER
):
    raise ImproperlyConfigured(
        "PHONE_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER"
    )
# Internet (VoIP) numbers can take codes only when allowed: anyone can get one in minutes,
# without a contract or an identity check.
PHONE_ALLOW_VOIP = env_bool("PHONE_ALLOW_VOIP", False)
# The page that lists recently "sent" texts and calls, for trying the portal locally.
DEV_OUTBOX = DEBUG and PHONE_BACKEND == "console"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not an IANA time zone")

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Browsers the portal is built and tested for, with the oldest major version that gets no
# "update your browser" banner. Internet Explorer and EdgeHTML (Edge before 79) are refused.
SUPPORTED_BROWSERS = {
    "Chrome": env_int("MIN_CHROME_VERSION", 120),
    "Edge": env_int("MIN_EDGE_VERSION", 120),
    "Firefox": env_int("MIN_FIREFOX_VERSION", 115),
    "Safari": env_int("MIN_SAFARI_VERSION", 16),
}

# Security headers. No inline script or style anywhere: every script is a file with a nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers probe over plain HTTP

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
}

"""System checks: the kernel's settings must name real things, checked when the process starts
(`manage.py check`, every command, runserver) rather than at the first request that needs them;
and, with `check --deploy`, the field encryption key must be one nobody else knows."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from portal import ratelimits


@register()
def check_kernel_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    for action in settings.RATE_LIMITS:
        try:
            ratelimits.rates(action)
        except ImproperlyConfigured as e:
            errors.append(Error(str(e), id="portal.E001"))
    for setting in ("SIGN_IN_STAGES", "SUDO_HAS_SECOND_FACTOR"):
        paths = getattr(settings, setting)
        for path in [paths] if isinstance(paths, str) else paths:
            try:
                import_string(path)
            except ImportError as e:
                errors.append(Error(f"{setting}: cannot import {path!r} ({e})", id="portal.E002"))
    return errors


@register("urls")
def check_sudo_verify_url(app_configs, **kwargs) -> list[Error]:
    try:
        reverse(settings.SUDO_VERIFY_URL)
    except NoReverseMatch:
        return [
            Error(f"SUDO_VERIFY_URL {settings.SUDO_VERIFY_URL!r} names no URL", id="portal.E003")
        ]
    return []


# The key myaccount/settings.py falls back to under DEBUG: it is in the repository.
DEVELOPMENT_FIELD_KEYS = frozenset({"development-only-field-encryption-key"})
# Below these a key is probably typed rather than generated (a token_urlsafe(32) has 43
# characters, some 30 of them different; a token_hex(16) has 32, rarely fewer than 10).
MIN_FIELD_KEY_LENGTH = 32
MIN_FIELD_KEY_DISTINCT_CHARACTERS = 8
GENERATE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


@register(Tags.security, deploy=True)
def check_field_encryption_key(app_configs, **kwargs) -> list[Error | Warning]:
    key = settings.FIELD_ENCRYPTION_KEY
    hint = (
        f"Generate a key with {GENERATE_A_KEY} and move to it as README.md says "
        "(Rotating the field encryption key)."
    )
    if key in DEVELOPMENT_FIELD_KEYS:
        return [Error("FIELD_ENCRYPTION_KEY is the development key.", hint=hint, id="portal.E004")]
    if key in _secret_keys():
        return [
            Error(
                "FIELD_ENCRYPTION_KEY is also SECRET_KEY (or one of its fallbacks).",
                hint=hint,
                id="portal.E005",
            )
        ]
    if _looks_weak(key):
        return [
            Warning(
                f"FIELD_ENCRYPTION_KEY is shorter than {MIN_FIELD_KEY_LENGTH} characters or "
                f"has fewer than {MIN_FIELD_KEY_DISTINCT_CHARACTERS} different ones.",
                hint=hint,
                id="portal.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_field_encryption_key_fallbacks(app_configs, **kwargs) -> list[Warning]:
    """A weak old key still opens what it made: tell to finish the rotation and drop it."""
    weak = [
        position
        for position, key in enumerate(settings.FIELD_ENCRYPTION_KEY_FALLBACKS, start=1)
        if key in DEVELOPMENT_FIELD_KEYS or key in _secret_keys() or _looks_weak(key)
    ]
    if not weak:
        return []
    return [
        Warning(
            "FIELD_ENCRYPTION_KEY_FALLBACKS holds a development, reused or weak key "
            f"(number {', '.join(map(str, weak))} in the list).",
            hint="Run `manage.py rotate_field_key`, then remove the key once nothing depends on "
            "it (README.md, Rotating the field encryption key).",
            id="portal.W002",
        )
    ]


def _secret_keys() -> set[str | bytes]:
    return {settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS}


def _looks_weak(key: str) -> bool:
    return len(key) < MIN_FIELD_KEY_LENGTH or len(set(key)) < MIN_FIELD_KEY_DISTINCT_CHARACTERS


@register()
def check_session_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    try:
        import_string(settings.SESSION_POLICY)
    except ImportError as e:
        errors.append(
            Error(
                f"SESSION_POLICY: cannot import {settings.SESSION_POLICY!r} ({e})", id="portal.E006"
            )
        )
    if not settings.SESSION_EXPIRE_AT_BROWSER_CLOSE:
        errors.append(
            Error(
                "SESSION_EXPIRE_AT_BROWSER_CLOSE must be True: without it every session would "
                "count as kept signed in, with no idle timeout",
                id="portal.E007",
            )
        )
    return errors

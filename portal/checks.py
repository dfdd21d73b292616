"""System checks: the kernel's settings must name real things, checked when the process starts
(`manage.py check`, every command, runserver) rather than at the first request that needs them."""

from django.conf import settings
from django.core.checks import Error, register
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

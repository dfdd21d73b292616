"""Tags for what every portal page shows, cheaper than the includes and `{% url %}` they
replace (each page renders them several times)."""

from functools import cache

from django import template
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from portal.navigation import address as address_of

register = template.Library()

ICONS = "portal/icons.svg"  # one sprite: {% icon "name" %} shows its symbol "name"


@register.simple_tag
def asset(path: str) -> str:
    """`{% asset "portal/portal.css" %}`: `{% static %}`, worked out once per file."""
    return static_address(path)


@cache
def static_address(path: str) -> str:
    """Return the static file's address: the storage's manifest never changes while the
    process runs, so it is looked up once."""
    return static(path)


def _forget_static_addresses(*, setting: str, **kwargs) -> None:
    if setting in {"STATIC_URL", "STORAGES"}:
        static_address.cache_clear()


setting_changed.connect(_forget_static_addresses)


@register.simple_tag
def icon(name: str, modifier: str = "") -> SafeString:
    """`{% icon "shield" %}`: a symbol of the sprite, decorative (the text beside it says what
    it means); `{% icon name "tile" %}` adds the class icon--tile."""
    classes = f"icon icon--{modifier}" if modifier else "icon"
    return format_html(
        '<svg class="{}" aria-hidden="true"><use href="{}#{}"></use></svg>',
        classes,
        static_address(ICONS),
        name,
    )


@register.simple_tag
def address(name: str) -> str:
    """`{% address "portal:overview" %}`: `{% url %}` for an address without arguments,
    reversed once per process."""
    return address_of(name)


@register.simple_tag
def avatar(user, size: str) -> SafeString:
    """`{% avatar user "small" %}`: the user's photo, else their initials (the photo is
    described by the name beside it, so it has no text of its own)."""
    if user.photo:
        return format_html(
            '<img class="avatar avatar--{}" src="{}" alt="">', size, address_of("portal:photo")
        )
    return format_html(
        '<span class="avatar avatar--{}" aria-hidden="true">{}</span>', size, user.initials
    )

"""Tags for what every portal page shows, cheaper than the includes and `{% url %}` they
replace (each page renders them several times)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from portal.navigation import address as address_of

register = template.Library()


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

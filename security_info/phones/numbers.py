"""Phone numbers as people type them, made into E.164 with Google's libphonenumber data.

People type "07400 123456", "+1 (425) 555-0100 x12" or "425.555.0100"; the portal stores
"+447400123456" or "+14255550100" (and "12" as an extension where one is allowed) and dials
exactly that.
"""

import unicodedata
from dataclasses import dataclass
from functools import cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from django.utils.translation import get_language

FALLBACK_REGION = "US"


class InvalidPhoneNumber(ValueError):
    """Not a number that can be dialled in the chosen region (or the one its +code names)."""


@dataclass(frozen=True)
class PhoneNumber:
    e164: str
    extension: str
    region: str
    # libphonenumber's guess at the line: FIXED_LINE cannot receive text messages.
    is_fixed_line: bool

    @property
    def international(self) -> str:
        """Return the number spaced for reading, e.g. "+44 7400 123456"."""
        return format_international(self.e164)


def parse(text: str, region: str) -> PhoneNumber:
    """Read a number typed with or without its +country code; raise InvalidPhoneNumber."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(text) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(text)
    return PhoneNumber(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        extension=number.extension or "",
        region=phonenumbers.region_code_for_number(number) or region,
        is_fixed_line=phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE,
    )


def format_international(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_national(e164: str) -> str:
    """Return the number as dialled inside its own country, e.g. "07400 123456"."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def region_of(text: str) -> str | None:
    """Return the region of a number written with its +country code, if it is a valid one."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return (
        phonenumbers.region_code_for_number(number)
        if phonenumbers.is_valid_number(number)
        else None
    )


def default_region(user) -> str:
    """Guess where the user is: from their directory phones, else the United States."""
    for directory_phone in (user.mobile_phone, user.business_phone):
        region = directory_phone and region_of(directory_phone)
        if region:
            return region
    return FALLBACK_REGION


def region_choices() -> list[tuple[str, str]]:
    """Return every dialable region as ("GB", "United Kingdom (+44)"), sorted by name.

    The names are CLDR's, in the page's language (libphonenumber's own names come with its
    19 MB geocoder, which takes seconds to load).
    """
    return _region_choices(get_language() or "en")


@cache
def _region_choices(language: str) -> list[tuple[str, str]]:
    try:
        names = Locale.parse(language, sep="-").territories
    except (ValueError, UnknownLocaleError):
        names = Locale("en").territories
    choices = [
        (region, f"{names.get(region, region)} (+{phonenumbers.country_code_for_region(region)})")
        for region in phonenumbers.SUPPORTED_REGIONS
    ]
    return sorted(choices, key=lambda choice: _sort_key(choice[1]))


def _sort_key(label: str) -> str:
    """Sort "Åland Islands" with the A's, as people expect."""
    decomposed = unicodedata.normalize("NFKD", label)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

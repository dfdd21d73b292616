"""Phone numbers as people type them, made into E.164 with Google's libphonenumber data.

People type "07400 123456", "+1 (425) 555-0100 x12" or "425.555.0100"; the portal stores
"+447400123456" or "+14255550100" (and "12" as an extension where one is allowed) and dials
exactly that.

Codes go only to numbers that ring a person's own phone: libphonenumber's number types say
which a number is, and `PhoneNumber.can_get()` draws the line.
"""

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

FALLBACK_REGION = "US"


class Line(StrEnum):
    """What a number rings, as far as its digits tell."""

    MOBILE = "mobile"
    LANDLINE = "landline"  # can be called, cannot get texts
    VOIP = "voip"  # an internet number, allowed only where settings.PHONE_ALLOW_VOIP says so
    # Premium-rate, toll-free, shared-cost and universal access numbers belong to a service,
    # not to a phone: someone is paid per call or text (toll fraud), or a switchboard answers.
    SERVICE = "service"
    OTHER = "other"  # forwarding ("personal") numbers, pagers, voicemail, anything unknown


_Type = phonenumbers.PhoneNumberType
_LINES = {
    _Type.MOBILE: Line.MOBILE,
    # The US, Canada and others number mobiles and landlines alike: either may be a mobile.
    _Type.FIXED_LINE_OR_MOBILE: Line.MOBILE,
    _Type.FIXED_LINE: Line.LANDLINE,
    _Type.VOIP: Line.VOIP,
    _Type.PREMIUM_RATE: Line.SERVICE,
    _Type.TOLL_FREE: Line.SERVICE,
    _Type.SHARED_COST: Line.SERVICE,
    _Type.UAN: Line.SERVICE,
}


class InvalidPhoneNumber(ValueError):
    """Not a number that can be dialled in the chosen region (or the one its +code names)."""


@dataclass(frozen=True)
class PhoneNumber:
    e164: str
    extension: str
    region: str
    line: Line

    @property
    def international(self) -> str:
        """Return the number spaced for reading, e.g. "+44 7400 123456"."""
        return format_international(self.e164)

    def can_get(self, *, texts: bool) -> bool:
        """Tell whether codes may go to this number: texts to mobiles only, calls to landlines
        too, either to internet numbers only where settings.PHONE_ALLOW_VOIP allows them."""
        reached = {Line.MOBILE} if texts else {Line.MOBILE, Line.LANDLINE}
        if settings.PHONE_ALLOW_VOIP:
            reached.add(Line.VOIP)
        return self.line in reached


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
        line=_LINES.get(phonenumbers.number_type(number), Line.OTHER),
    )


def format_phone(e164: str, extension: str = "") -> str:
    """Return a stored number as the reader would write it: "07700 900123" for someone in the
    number's own country, "+44 7700 900123" for anyone else (see `current_region`).

    Every page, prompt and email that shows a person a number uses this.
    """
    shown = _as_written_in(e164, current_region())
    if extension:
        return _("%(number)s ext. %(extension)s") % {"number": shown, "extension": extension}
    return shown


@lru_cache(maxsize=4096)
def _as_written_in(e164: str, region: str | None) -> str:
    """Return the number as someone in `region` writes it (a page shows the same few again)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    # A number the data does not know (a new range, a drama number) has its country code.
    home = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
        number.country_code or 0
    )
    at_home = region is not None and region == home
    return phonenumbers.format_number(
        number,
        phonenumbers.PhoneNumberFormat.NATIONAL
        if at_home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    )


def current_region() -> str | None:
    """Return the region of whoever the page or email is for, from the active time zone (the
    user's own, else the site's TIME_ZONE), or None where that names no country ("UTC").

    The time zone is the one thing the portal records about where a person is; the language
    ("en", "es") names no country, and directory phones say where the office is.
    """
    zone = timezone.get_current_timezone_name()
    region = get_global("zone_territories").get(zone)
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


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
    """Guess where the user is: from their directory phones, else their time zone, else the
    United States."""
    for directory_phone in (user.mobile_phone, user.business_phone):
        region = directory_phone and region_of(directory_phone)
        if region:
            return region
    return current_region() or FALLBACK_REGION


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

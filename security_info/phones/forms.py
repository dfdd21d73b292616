from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.widgets import ChoiceList
from security_info.models import Method
from security_info.phones import numbers
from security_info.phones.numbers import Line

CHANNEL_LABELS = {
    Method.Channel.SMS: _("Text me a code"),
    Method.Channel.VOICE: _("Call me"),
}
MAX_EXTENSION = 10
# Why a number cannot get codes (PhoneNumber.can_get), and what to enter instead.
TEXT_REFUSALS = {
    Line.LANDLINE: _(
        "This is a landline number, which cannot receive text messages. Choose “Call me”, or enter a mobile number."
    ),
    Line.VOIP: _("Use a mobile number: codes can't go to internet (VoIP) numbers."),
    Line.SERVICE: _(
        "Use a mobile number: texts can't go to toll-free, premium-rate or other service numbers."
    ),
    Line.OTHER: _(
        "Use a mobile number: codes can't go to pagers, voicemail or forwarding numbers."
    ),
}
CALL_REFUSALS = {
    Line.VOIP: _("Use a mobile or landline number: codes can't go to internet (VoIP) numbers."),
    Line.SERVICE: _(
        "Use a number that rings your own phone: we can't call toll-free, premium-rate or other service numbers."
    ),
    Line.OTHER: _(
        "Use a mobile or landline number: codes can't go to pagers, voicemail or forwarding numbers."
    ),
}


class PhoneForm(forms.Form):
    """A phone number in a country or region, and for a mobile phone how to get the code.

    Clean to `phone` (a PhoneNumber: E.164 and extension), plus `extension_removed` when the
    typed number carried an extension this kind of phone cannot have.
    """

    region = forms.ChoiceField(label=_("Country or region"))
    number = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        help_text=_("With or without the country code, e.g. +1 425 555 0100."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    extension = forms.CharField(
        label=_("Extension"),
        required=False,
        help_text=_("Digits only, up to 10. Leave empty if the number reaches you directly."),
        max_length=MAX_EXTENSION + 10,  # room for spaces; the digits are checked below
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    channel = forms.ChoiceField(
        label=_("How should we send the code?"),
        widget=ChoiceList(
            hints={
                Method.Channel.SMS: _("A text message with a 6-digit code."),
                Method.Channel.VOICE: _("An automated call that reads you a 6-digit code."),
            }
        ),
    )

    def __init__(self, kind, channels: list[str], *args, current: Method | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.kind = kind
        self.current = current  # the registered phone being changed, if any
        self.extension_removed = False
        cast(forms.ChoiceField, self.fields["region"]).choices = numbers.region_choices()
        if not kind.has_extension:
            del self.fields["extension"]
        if len(kind.channels) > 1:
            channel = cast(forms.ChoiceField, self.fields["channel"])
            channel.choices = [(c, CHANNEL_LABELS[Method.Channel(c)]) for c in channels]
            channel.initial = channels[0] if channels else None
        else:
            del self.fields["channel"]  # alternate and office phones are only ever called

    def clean_extension(self) -> str:
        extension = "".join(self.cleaned_data["extension"].split())
        if extension and not (extension.isascii() and extension.isdigit()):
            raise forms.ValidationError(_("An extension has digits only."))
        if len(extension) > MAX_EXTENSION:
            raise forms.ValidationError(
                _("An extension has at most %(max)s digits.") % {"max": MAX_EXTENSION}
            )
        return extension

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        if "region" not in cleaned or "number" not in cleaned:
            return cleaned
        try:
            phone = numbers.parse(cleaned["number"], cleaned["region"])
        except numbers.InvalidPhoneNumber:
            self.add_error("number", _("Enter a valid phone number for the chosen country."))
            return cleaned
        if self.kind.has_extension:
            extension = cleaned.get("extension") or phone.extension
            if len(extension) > MAX_EXTENSION:
                self.add_error(
                    "extension",
                    _("An extension has at most %(max)s digits.") % {"max": MAX_EXTENSION},
                )
            cleaned["extension"] = extension
        else:
            self.extension_removed = bool(phone.extension)
            cleaned["extension"] = ""
        texts = cleaned.get("channel") == Method.Channel.SMS
        if not phone.can_get(texts=texts):
            self.add_error("number", (TEXT_REFUSALS if texts else CALL_REFUSALS)[phone.line])
        # The same number is a change only with another way to get the code ("Call me"
        # instead of texts), which the code sent that way then proves.
        if self.current and (phone.e164, cleaned["extension"], self.chosen_channel) == (
            self.current.phone,
            self.current.extension,
            self.current.channel or Method.Channel.VOICE,
        ):
            self.add_error("number", _("This is already your number. Enter the new one."))
        cleaned["phone"] = phone
        return cleaned

    @property
    def chosen_channel(self) -> str:
        return self.cleaned_data.get("channel") or Method.Channel.VOICE

"""The portal's one choice list: radio buttons or checkboxes drawn as large, labelled choices.

Every list of choices on a portal page uses `ChoiceList` (pick one) or `CheckboxList` (pick
any); `includes/form_fields.html` draws their field as `<fieldset class="choices">` and
portal.css styles it. A choice may carry a hint, a quieter line under its label.
"""

from collections.abc import Mapping

from django import forms
from django.utils.functional import Promise


class _ChoiceHints(forms.widgets.ChoiceWidget):
    template_name = "portal/widgets/choices.html"
    option_template_name = "portal/widgets/choice.html"

    def __init__(self, attrs=None, choices=(), hints: Mapping[str, str | Promise] | None = None):
        super().__init__(attrs, choices)
        # By choice value: the line under that choice's label.
        self.hints = dict(hints or {})

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["hint"] = self.hints.get(str(value), "")
        return option


class ChoiceList(_ChoiceHints, forms.RadioSelect):
    """Pick one: radio buttons."""


class CheckboxList(_ChoiceHints, forms.CheckboxSelectMultiple):
    """Pick any: checkboxes."""

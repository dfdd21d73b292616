"""The choice list: every list of choices on a portal page, drawn one way."""

from django import forms
from django.template.loader import render_to_string

from portal.widgets import CheckboxList, ChoiceList


class PickForm(forms.Form):
    one = forms.ChoiceField(
        label="How should we send the code?",
        choices=[("sms", "Text me"), ("voice", "Call me")],
        widget=ChoiceList(hints={"voice": "A call reads the code."}),
        help_text="Choose one.",
    )
    many = forms.MultipleChoiceField(
        label="Days", choices=[("mon", "Monday"), ("tue", "Tuesday")], widget=CheckboxList
    )


def render(form) -> str:
    return render_to_string("includes/form_fields.html", {"form": form})


def test_a_choice_list_is_a_fieldset_whose_legend_is_the_question():
    html = render(PickForm())
    assert html.count('<fieldset class="choices"') == 2
    assert '<legend class="choices__legend">How should we send the code?</legend>' in html
    assert 'aria-describedby="id_one_helptext"' in html
    assert "<label" not in html.split('<fieldset class="choices"')[0]


def test_each_choice_is_a_label_around_its_box_and_its_text():
    html = render(PickForm())
    assert (
        '<label class="choice" for="id_one_1"><input type="radio" name="one" value="voice"' in html
    )
    assert '<span class="choice__label">Call me</span>' in html
    assert '<span class="choice__hint">A call reads the code.</span>' in html
    assert html.count("choice__hint") == 1  # only the choice that has one
    assert '<input type="checkbox" name="many" value="tue"' in html


def test_the_errors_are_inside_the_fieldset_and_described():
    form = PickForm({"one": "fax"})
    html = render(form)
    fieldset = html.split('<fieldset class="choices"')[1]
    assert 'aria-describedby="id_one_helptext id_one_error"' in fieldset
    assert "Select a valid choice." in fieldset.split("</fieldset>")[0]
    assert 'value="sms"' in fieldset  # the choices stay to pick again

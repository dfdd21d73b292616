"""The catalogue of method kinds: every kind answers for itself, nothing asks which kind it is."""

import pytest
from django.urls import reverse

from organizations.models import AuthenticationPolicy
from security_info.kinds import MethodKindBase, SentCodeKind
from security_info.methods import KINDS, METHOD_KINDS, kind_of, sign_in_options
from security_info.models import Method
from security_info.password.reset import OPTIONS, OPTIONS_BY_KEY
from tests.security_info.conftest import add_authenticator, add_passkey, add_phone


def test_every_stored_kind_of_method_has_its_kind_and_no_other():
    assert set(METHOD_KINDS) == set(Method.Kind.values)
    assert all(isinstance(kind, MethodKindBase) for kind in METHOD_KINDS.values())


def test_the_catalogue_lists_kinds_strongest_first_as_the_page_shows_them():
    assert list(KINDS)[:2] == ["passkey", "authenticator"]
    addable = [kind for kind in KINDS.values() if kind.add_url_name]
    assert [kind.strength for kind in addable[:6]] == sorted(k.strength for k in addable[:6])


@pytest.mark.parametrize("key", list(KINDS))
def test_every_kind_has_a_name_a_description_and_pages_that_exist(key):
    kind = KINDS[key]
    assert str(kind.label)
    assert str(kind.description)
    if kind.add_url_name:
        reverse(kind.add_url_name)
        assert kind.policy_flag, "a kind people add themselves is allowed by a policy flag"
    if isinstance(kind, MethodKindBase) and kind.change_url_name:
        reverse(kind.change_url_name, args=[1])
    if kind.sign_in_fallback:
        reverse(kind.sign_in_fallback[0])


def test_a_kind_without_an_add_page_cannot_be_added(alice):
    pass_kind = KINDS["temporary_pass"]
    assert not pass_kind.add_url_name
    assert not pass_kind.may_add(alice, AuthenticationPolicy())


def test_the_reset_options_come_from_the_kinds_and_each_names_a_real_policy_flag():
    assert [option.key for option in OPTIONS] == [
        "email",
        "mobile_text",
        "mobile_call",
        "office_call",
        "authenticator",
        "security_questions",
    ]
    assert len(OPTIONS_BY_KEY) == len(OPTIONS)
    policy = AuthenticationPolicy()
    for option in OPTIONS:
        assert hasattr(policy, option.policy_flag), option.key
        assert option.proof in ("code", "answers")
        # A code that goes out needs a kind that sends one; answers need none.
        assert option.sends_code == isinstance(option.kind, SentCodeKind), option.key


def test_each_option_is_labelled_and_prompted_by_its_kind(alice):
    policy = AuthenticationPolicy(allow_email_sign_in=True)
    add_passkey(alice, name="Laptop")
    add_authenticator(alice, name="Phone app")
    add_phone(alice, "+447700900123")
    Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email="alice@home.example")
    labels = {
        option.second_factor: (
            option.label,
            option.masked_label,
            option.prompt(sent=True, reveal=False),
        )
        for option in sign_in_options(Method.objects.filter(user=alice), policy)
    }
    assert labels["passkey"][0] == "Passkey or security key (Laptop)"
    assert labels["authenticator"][0] == "Authenticator app – code (Phone app)"
    assert labels["mobile_phone:sms"][:2] == (
        "Text a code to +44 7700 900123",
        "Text a code to +44 ••••••••23",
    )
    assert labels["mobile_phone:voice"][1] == "Call +44 ••••••••23"
    assert labels["email"][1] == "Email a code to a•••@home.example"
    # Where the code went is shown, escaped, in bold; hidden from someone with just a password.
    assert (
        labels["mobile_phone:sms"][2]
        == "We texted a code to <strong>+44 ••••••••23</strong>. Enter it below."
    )


def test_the_default_cannot_be_an_email_code_whatever_the_policy(alice):
    method = Method.objects.create(user=alice, kind=Method.Kind.EMAIL, email="alice@home.example")
    kind = kind_of(method)
    assert kind.is_second_factor(AuthenticationPolicy(allow_email_sign_in=True))
    assert not kind.is_second_factor(AuthenticationPolicy(allow_email_sign_in=False))
    assert not kind.can_be_default


def test_a_call_counts_as_stronger_than_a_text(alice):
    add_phone(alice)
    options = sign_in_options(Method.objects.filter(user=alice), AuthenticationPolicy())
    assert [option.channel for option in options] == ["voice", "sms"]


def test_clearing_a_kind_deletes_that_kind_only(alice, bob):
    add_phone(alice)
    add_authenticator(alice)
    add_phone(bob)
    assert KINDS["mobile_phone"].clear(alice) == 1
    assert set(Method.objects.values_list("user__email", "kind")) == {
        ("alice@northwind.example", "authenticator"),
        ("bob@northwind.example", "mobile_phone"),
    }

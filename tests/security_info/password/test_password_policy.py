"""The organization's password policy, rule by rule, as the change page applies it."""

import pytest

from organizations.models import PasswordPolicy
from tests.factories import PASSWORD, make_user
from tests.security_info.conftest import mark_strong_sign_in

URL = "/password/"
BANNED = (
    "Your password contains a word your organization doesn't allow, even if some letters are "
    "swapped for look-alikes. Use other words."
)
PERSONAL = (
    "Your password contains your name, email address or organization's name, even if some "
    "letters are swapped for look-alikes. Use words that are not about you or your organization."
)
COMMON = (
    "Lots of people use this password, even with numbers, symbols or look-alike characters "
    "added. Use a few words that don't usually go together."
)
EASY = (
    "This password would be easy to guess. Add a few more words that are not about you or your "
    "organization."
)


def change(client, new):
    return client.post(URL, {"new_password1": new, "new_password2": new})


def refusal(client, new) -> list[str]:
    """Try the password; return the messages under it (none if it was accepted)."""
    response = change(client, new)
    if response.status_code == 302:
        return []
    return response.context["form"].errors.get("new_password1", [])


@pytest.fixture
def policy(northwind):
    return PasswordPolicy.objects.create(organization=northwind)


def set_policy(policy, **rules):
    for name, value in rules.items():
        setattr(policy, name, value)
    policy.save()


@pytest.mark.parametrize(
    ("rules", "password", "message"),
    [
        ({"min_length": 14}, "Kettle-Sings1", "Use at least 14 characters."),
        ({"max_length": 20}, "Kettle-Sings-Loudly-42", "Use at most 20 characters."),
        ({"require_lowercase": True}, "KETTLE-SINGS-42", "Include a lower-case letter."),
        ({"require_uppercase": True}, "kettle-sings-42", "Include an upper-case letter."),
        ({"require_digit": True}, "kettle-sings-loud", "Include a digit."),
        ({"require_symbol": True}, "KettleSings42loud", "Include a symbol, such as ! or #."),
        ({"banned_words": "Contoso\nKettle"}, "blueKETTLEsings42", BANNED),
    ],
)
def test_each_rule_says_what_is_wrong(sudo_client, alice, policy, rules, password, message):
    set_policy(policy, **rules)
    assert refusal(sudo_client, password) == [message]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_password_that_keeps_every_rule_is_taken(sudo_client, alice, policy):
    set_policy(
        policy,
        min_length=14,
        require_lowercase=True,
        require_uppercase=True,
        require_digit=True,
        require_symbol=True,
        banned_words="contoso",
    )
    assert refusal(sudo_client, "Kettle-Sings-42") == []
    alice.refresh_from_db()
    assert alice.check_password("Kettle-Sings-42")


def test_every_broken_rule_is_listed_at_once(sudo_client, policy):
    set_policy(policy, min_length=16, require_uppercase=True, require_digit=True)
    assert refusal(sudo_client, "kettle-sings") == [
        "Use at least 16 characters.",
        "Include an upper-case letter.",
        "Include a digit.",
    ]


@pytest.mark.parametrize("password", ["archer-sings-42", "ALICE-kettle-42", "sing-to-ALICE-99"])
def test_the_users_own_name_or_address_is_refused(sudo_client, password):
    assert refusal(sudo_client, password) == [PERSONAL]


def test_a_common_password_is_refused(sudo_client):
    assert refusal(sudo_client, "peanutbutter") == [COMMON, EASY]


def test_the_current_password_cannot_be_reused_by_default(sudo_client):
    assert refusal(sudo_client, PASSWORD) == [
        "You used this password before. Choose one you have not used."
    ]


def test_a_history_of_three_refuses_the_last_three(sudo_client, alice, policy):
    set_policy(policy, history_count=3)
    for new in ["Kettle-Sings-01", "Kettle-Sings-02", "Kettle-Sings-03"]:
        assert refusal(sudo_client, new) == []
    reused = "You used this password in your last 3 passwords. Choose one you have not used."
    assert refusal(sudo_client, "Kettle-Sings-03") == [reused]  # the current one
    assert refusal(sudo_client, "Kettle-Sings-01") == [reused]  # two before it
    assert refusal(sudo_client, PASSWORD) == []  # three before: allowed again
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_history_of_one_only_refuses_the_current_password(sudo_client, policy):
    set_policy(policy, history_count=1)
    assert refusal(sudo_client, "Kettle-Sings-01") == []
    assert refusal(sudo_client, "Kettle-Sings-01") == [
        "You used this password before. Choose one you have not used."
    ]
    assert refusal(sudo_client, PASSWORD) == []


def test_a_history_of_zero_allows_reuse(sudo_client, alice, policy):
    set_policy(policy, history_count=0)
    assert refusal(sudo_client, PASSWORD) == []
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_user_without_an_organization_gets_the_default_rules(client, db):
    loner = make_user("loner@example.com")
    client.force_login(loner)
    mark_strong_sign_in(client, loner)
    assert refusal(client, "short-1") == ["Use at least 12 characters.", EASY]
    assert refusal(client, "kettle-sings-loudly") == []


def test_rules_of_another_organization_do_not_apply(sudo_client, charlie):
    PasswordPolicy.objects.create(
        organization=charlie.memberships.get().organization, min_length=30
    )
    assert refusal(sudo_client, "Kettle-Sings-42") == []

"""How hard a new password must be to guess: common passwords and their disguises, names, the
policy's minimum strength and kinds of character, and the bounded cost of judging one."""

import pytest
from zxcvbn import zxcvbn

from organizations.models import PasswordPolicy
from security_info.password import guessable, passwords
from tests.factories import PASSWORD, make_user
from tests.security_info.conftest import mark_strong_sign_in

URL = "/password/"
STRENGTH_URL = "/password/strength/"
COMMON = (
    "Lots of people use this password, even with numbers, symbols or look-alike characters "
    "added. Use a few words that don't usually go together."
)
PERSONAL = (
    "Your password contains your name, email address or organization's name, even if some "
    "letters are swapped for look-alikes. Use words that are not about you or your organization."
)
BANNED = (
    "Your password contains a word your organization doesn't allow, even if some letters are "
    "swapped for look-alikes. Use other words."
)
EASY = (
    "This password would be easy to guess. Add a few more words that are not about you or your "
    "organization."
)
THREE_KINDS = (
    "Mix at least 3 kinds of character: lower-case letters, upper-case letters, digits or symbols."
)
# Every character zxcvbn reads as a letter: each different one multiplies its work.
LOOK_ALIKES = "4@8(<{[3691!|10$5+7%2"
# The twelve that multiply it most.
WORST_LOOK_ALIKES = "!$(+1457<@[|"


def refusal(client, new) -> list[str]:
    """Try the password on the change page; return the messages under it (none if taken)."""
    response = client.post(URL, {"new_password1": new, "new_password2": new})
    if response.status_code == 302:
        return []
    return response.context["form"].errors.get("new_password1", [])


def strength(client, password):
    return client.post(STRENGTH_URL, {"password": password}, content_type="application/json")


@pytest.fixture
def policy(northwind):
    return PasswordPolicy.objects.create(organization=northwind)


def set_policy(policy, **rules):
    for name, value in rules.items():
        setattr(policy, name, value)
    policy.save()


@pytest.fixture
def zxcvbn_inputs(monkeypatch) -> list[str]:
    """Record what zxcvbn is given to score, and still score it."""
    seen = []

    def recording(password, user_inputs=None, max_length=72):
        seen.append(password)
        return zxcvbn(password, user_inputs=user_inputs, max_length=max_length)

    monkeypatch.setattr(guessable, "zxcvbn", recording)
    return seen


# What attackers try first -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("aaaaaaaaaaaa", [EASY]),
        ("Password123!", [COMMON, EASY]),
        ("P@ssw0rd2026!", [COMMON, EASY]),
        ("Summer2026!!!", [COMMON]),
        ("!!2026$ummer!!", [COMMON]),
        ("N0rthw1nd-2026", [PERSONAL, EASY]),
    ],
)
def test_a_weak_password_is_refused_with_what_to_do(sudo_client, alice, password, messages):
    assert refusal(sudo_client, password) == messages
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize(
    "password", ["4l1c3-on-the-river", "the-ARCH3R-sails-far", "Tr4ders-and-their-ships"]
)
def test_the_users_names_and_organization_are_refused_behind_look_alikes(sudo_client, password):
    assert refusal(sudo_client, password) == [PERSONAL]


def test_a_banned_word_is_refused_behind_look_alikes(sudo_client, policy):
    set_policy(policy, banned_words="Contoso")
    assert refusal(sudo_client, "C0nt0$0-rules-the-seas") == [BANNED]


@pytest.mark.parametrize(
    "password",
    [
        "violet tractor hums beneath quiet dunes",
        "quiet otters juggle lanterns",
        "Blue-Kettle-Sings-42",
        "rhubarb ferry lantern",
    ],
)
def test_a_strong_passphrase_is_taken(sudo_client, alice, password):
    assert refusal(sudo_client, password) == []
    alice.refresh_from_db()
    assert alice.check_password(password)


def test_a_name_refuses_only_itself_not_words_that_look_a_little_like_it(client, northwind):
    hill = make_user("dana@northwind.example", organization=northwind, surname="Hill")
    client.force_login(hill)
    mark_strong_sign_in(client, hill)
    assert refusal(client, "chili sauce spills everywhere") == []


# The policy ---------------------------------------------------------------------------------


def test_the_minimum_strength_follows_the_policy(sudo_client, policy):
    set_policy(policy, min_score=4)
    assert refusal(sudo_client, "hamster-wheel") == [EASY]  # Strong, not Very strong
    set_policy(policy, min_score=0)
    assert refusal(sudo_client, "aaaaaaaaaaaa") == []


def test_three_kinds_of_character_take_any_three(sudo_client, policy):
    set_policy(policy, min_character_classes=3)
    assert refusal(sudo_client, "kettle-sings-loudly") == [THREE_KINDS]
    assert refusal(sudo_client, "Kettle-sings-loudly") == []


def test_required_kinds_count_towards_the_number(sudo_client, policy):
    set_policy(policy, require_digit=True, min_character_classes=3)
    assert refusal(sudo_client, "Kettle-sings-loudly") == ["Include a digit."]
    set_policy(policy, require_uppercase=True, require_digit=True, min_character_classes=2)
    # Two required kinds already make two: the number adds nothing to say.
    assert refusal(sudo_client, "kettle-sings-loudly") == [
        "Include an upper-case letter.",
        "Include a digit.",
    ]


def test_the_requirements_say_the_default_rules_in_words(alice):
    assert passwords.requirements(alice) == [
        "At least 12 characters",
        "to be hard to guess (rated “Strong” or better)",
        "not a common password, even with numbers, symbols or look-alikes added",
        "nothing about you: not your name, email address or organization's name",
        "not one of your recent passwords",
    ]


def test_the_requirements_say_the_policys_rules_in_words(alice, policy):
    set_policy(policy, require_symbol=True, min_character_classes=3, banned_words="contoso")
    assert passwords.requirements(alice) == [
        "At least 12 characters",
        "a symbol",
        "at least 3 kinds of character: lower-case letters, upper-case letters, digits or symbols",
        "to be hard to guess (rated “Strong” or better)",
        "not a common password, even with numbers, symbols or look-alikes added",
        "nothing about you: not your name, email address or organization's name",
        "none of the words your organization doesn't allow",
        "not one of your recent passwords",
    ]


def test_the_change_page_lists_the_requirements(sudo_client):
    html = sudo_client.get(URL).content.decode()
    assert "To be hard to guess (rated “Strong” or better)" in html
    assert "Not a common password, even with numbers, symbols or look-alikes added" in html


# The strength check and its cost ------------------------------------------------------------


def test_the_strength_check_lists_the_weak_passwords_problems(alice_client):
    problems = strength(alice_client, "N0rthw1nd-2026").json()["problems"]
    assert problems == [PERSONAL, EASY]


def test_zxcvbn_knows_the_user_the_organization_and_the_banned_words(
    alice_client, policy, monkeypatch
):
    set_policy(policy, banned_words="Contoso")
    given = []

    def recording(password, user_inputs=None, max_length=72):
        given.extend(user_inputs)
        return zxcvbn(password, user_inputs=user_inputs, max_length=max_length)

    monkeypatch.setattr(guessable, "zxcvbn", recording)
    strength(alice_client, "kettle-sings-loudly")
    assert {"alice", "archer", "northwind", "traders", "contoso"} <= {w.lower() for w in given}


def test_a_check_scores_the_password_once(alice_client, zxcvbn_inputs):
    assert strength(alice_client, "hamster-wheel").status_code == 200
    assert zxcvbn_inputs == ["hamster-wheel"]


@pytest.mark.parametrize(
    "password",
    [
        LOOK_ALIKES * 12,
        "".join(sorted(LOOK_ALIKES)) * 12,
        WORST_LOOK_ALIKES * 20,
        "q" * 30 + LOOK_ALIKES * 10,
        "1234567890" * 25,
        "Zq9!" * 2500,
    ],
)
def test_zxcvbn_gets_a_bounded_prefix_whatever_is_sent(alice_client, zxcvbn_inputs, password):
    assert strength(alice_client, password).status_code == 200
    [scored] = zxcvbn_inputs
    assert password.startswith(scored)
    assert len(scored) <= guessable.SCORED_LENGTH
    assert guessable.l33t_readings(scored) * len(scored) ** 2 <= guessable.L33T_WORK_LIMIT


def test_a_password_of_look_alikes_can_still_be_very_strong(zxcvbn_inputs):
    assert guessable.estimate(WORST_LOOK_ALIKES * 20, None).score == 4
    assert len(zxcvbn_inputs[0]) == 11


def test_choosing_a_password_is_bounded_the_same_way(sudo_client, zxcvbn_inputs):
    refusal(sudo_client, LOOK_ALIKES * 12)
    [scored] = zxcvbn_inputs
    assert len(scored) <= guessable.SCORED_LENGTH


def test_a_long_password_is_scored_on_its_start(sudo_client, policy):
    set_policy(policy, min_score=4)
    strong = "violet tractor hums beneath quiet dunes and sings to the moon tonight"
    assert len(strong) > guessable.SCORED_LENGTH
    assert refusal(sudo_client, strong + " aaaaaaaaaaaaaaaa") == []
    assert refusal(sudo_client, "a" * guessable.SCORED_LENGTH + strong) == [EASY]


def test_strength_checks_are_limited_per_user_wherever_they_come_from(alice_client, bob, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "strength_check": "100/m/ip,2/m/user"}
    for address in ["192.0.2.1", "198.51.100.2"]:
        response = alice_client.post(
            STRENGTH_URL, {"password": "x"}, content_type="application/json", REMOTE_ADDR=address
        )
        assert response.status_code == 200
    response = alice_client.post(
        STRENGTH_URL, {"password": "x"}, content_type="application/json", REMOTE_ADDR="203.0.113.3"
    )
    assert response.status_code == 429
    alice_client.force_login(bob)
    assert strength(alice_client, "x").status_code == 200


# The meter's verdict ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "Summer2026!!!",
        "archeralice-north",
        "hamster-wheel",
        "quiet otter borrows seven lanterns",
        "kettle-violet-tractor-dunes",
    ],
)
@pytest.mark.parametrize("min_score", [0, 3, 4])
def test_the_meter_says_it_meets_the_rules_exactly_when_the_form_takes_it(
    sudo_client, policy, password, min_score
):
    set_policy(policy, min_score=min_score, banned_words="kettle", history_count=0)
    result = strength(sudo_client, password).json()
    assert result["meets_policy"] == (refusal(sudo_client, password) == [])
    assert result["meets_policy"] == (result["problems"] == [])


def test_the_verdict_names_the_minimum_strength(sudo_client, policy):
    set_policy(policy, min_score=4)
    result = strength(sudo_client, "hamster-wheel").json()  # Strong, not Very strong
    assert not result["meets_policy"]
    assert result["verdict"] == (
        "Doesn't meet your organization's rules yet. It asks for “Very strong” or better."
    )
    # Strong enough, but with a banned word: the minimum is not what it misses.
    set_policy(policy, min_score=3, banned_words="otter")
    banned = strength(sudo_client, "quiet otter borrows seven lanterns").json()
    assert banned["score"] >= 3
    assert banned["verdict"] == "Doesn't meet your organization's rules yet."
    set_policy(policy, banned_words="")
    passes = strength(sudo_client, "quiet otter borrows seven lanterns").json()
    assert passes["meets_policy"]
    assert passes["verdict"] == "Meets your organization's rules."


@pytest.mark.parametrize(
    ("history", "said"),
    [
        (0, ""),
        (1, "When you continue, we also check that it isn't your current password."),
        (
            2,
            "When you continue, we also check that it isn't your current password or your "
            "last one.",
        ),
        (
            5,
            "When you continue, we also check that it isn't your current password or one of "
            "your last 4.",
        ),
    ],
)
def test_the_meter_says_the_reuse_check_waits_for_submit(sudo_client, policy, history, said):
    """It cannot know the history without hashing: it says so rather than claim a pass."""
    set_policy(policy, history_count=history)
    assert strength(sudo_client, PASSWORD).json()["on_submit"] == said


def test_the_current_password_gets_no_pass_from_the_meter_while_the_form_refuses_it(sudo_client):
    result = strength(sudo_client, PASSWORD).json()
    assert result["on_submit"]  # the form's refusal is announced as still to come
    assert refusal(sudo_client, PASSWORD) == [
        "You used this password before. Choose one you have not used."
    ]


def test_the_change_page_tells_the_meter_to_compare_with_the_current_password(alice_client):
    body = alice_client.get(URL).content.decode()
    assert 'data-current="id_current_password"' in body
    assert "data-refuses-current" in body
    assert "That's your current password. Choose a new one." in body


def test_without_reuse_rules_the_meter_only_notes_the_current_password(alice_client, policy):
    set_policy(policy, history_count=0)
    body = alice_client.get(URL).content.decode()
    assert "data-refuses-current" not in body
    assert "Your organization lets you keep it" in body

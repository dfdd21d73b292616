"""What an organization's policies accept."""

import pytest
from django.core.exceptions import ValidationError

from organizations.models import AuthenticationPolicy


def errors_of(policy: AuthenticationPolicy) -> dict[str, list[str]]:
    try:
        policy.full_clean(exclude=["organization"])
    except ValidationError as e:
        return e.message_dict
    return {}


def test_session_limits_may_be_left_to_the_site():
    assert errors_of(AuthenticationPolicy()) == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("session_idle_minutes", 4),
        ("session_idle_minutes", 24 * 60 + 1),
        ("session_lifetime_hours", 0),
        ("session_lifetime_hours", 7 * 24 + 1),
        ("keep_signed_in_days", 0),
        ("keep_signed_in_days", 91),
    ],
)
def test_session_limits_stay_within_sensible_bounds(field, value):
    assert field in errors_of(AuthenticationPolicy(**{field: value}))


def test_the_idle_limit_fits_within_the_lifetime():
    policy = AuthenticationPolicy(session_idle_minutes=3 * 60, session_lifetime_hours=2)
    assert errors_of(policy) == {
        "session_idle_minutes": [
            "Make this shorter than the session lifetime: sessions end then anyway."
        ]
    }


def test_keep_me_signed_in_lasts_at_least_a_session_without_it():
    assert errors_of(AuthenticationPolicy(session_lifetime_hours=48, keep_signed_in_days=1)) == {
        "keep_signed_in_days": ["“Keep me signed in” cannot end sooner than a session without it."]
    }


def test_a_lifetime_longer_than_the_sites_keep_me_signed_in_is_refused(settings):
    settings.SESSION_COOKIE_AGE = 24 * 60 * 60
    assert errors_of(AuthenticationPolicy(session_lifetime_hours=48)) == {
        "session_lifetime_hours": ["Make this shorter than “Keep me signed in” lasts."]
    }


# Self-service password reset ------------------------------------------------------------------

NO_RESET_METHODS = {
    "reset_by_email": False,
    "reset_by_mobile_phone": False,
    "reset_by_office_phone": False,
    "reset_by_authenticator": False,
    "reset_by_security_questions": False,
}


def test_the_default_reset_works():
    assert errors_of(AuthenticationPolicy(reset_gates=2)) == {}


def test_a_reset_with_no_method_is_refused_on_its_switch():
    errors = errors_of(AuthenticationPolicy(**NO_RESET_METHODS))
    assert list(errors) == ["reset_enabled"]
    assert "No method can prove who someone is" in errors["reset_enabled"][0]


def test_with_reset_off_no_method_is_needed():
    assert errors_of(AuthenticationPolicy(reset_enabled=False, **NO_RESET_METHODS)) == {}


def test_a_reset_method_people_may_not_register_does_not_count():
    only_email = NO_RESET_METHODS | {"reset_by_email": True}
    assert list(errors_of(AuthenticationPolicy(**only_email, allow_email=False))) == [
        "reset_enabled"
    ]
    assert errors_of(AuthenticationPolicy(**only_email)) == {}


def test_security_questions_alone_cannot_start_a_reset():
    only_questions = NO_RESET_METHODS | {"reset_by_security_questions": True}
    errors = errors_of(AuthenticationPolicy(**only_questions))
    assert list(errors) == ["reset_by_security_questions"]


def test_two_verifications_need_two_methods():
    one = NO_RESET_METHODS | {"reset_by_mobile_phone": True}
    errors = errors_of(AuthenticationPolicy(**one, reset_gates=2))
    assert list(errors) == ["reset_gates"]
    assert errors_of(AuthenticationPolicy(**one, reset_gates=1)) == {}
    a_phone_with_neither_channel = AuthenticationPolicy(
        **(one | {"reset_by_authenticator": True}),
        allow_sms=False,
        allow_voice=False,
        reset_gates=2,
    )
    assert list(errors_of(a_phone_with_neither_channel)) == ["reset_gates"]
    questions_second = NO_RESET_METHODS | {
        "reset_by_email": True,
        "reset_by_security_questions": True,
    }
    assert errors_of(AuthenticationPolicy(**questions_second, reset_gates=2)) == {}

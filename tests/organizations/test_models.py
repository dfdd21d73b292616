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

"""A PostgreSQL connection the server dropped costs no request a 500: the pool checks each
connection before handing it out. Runs on PostgreSQL only (CI's second run)."""

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the connection pool is PostgreSQL's"
    ),
]


def _kill_every_connection() -> None:
    """End every server process of the test database but this one, as a restart would."""
    params = connection.get_connection_params()
    for option in ("pool", "cursor_factory", "context"):
        params.pop(option, None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_a_killed_pooled_connection_is_replaced_before_a_request_gets_it(client):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    connection.close()  # back to the pool, where the server now ends it
    _kill_every_connection()

    response = client.get("/health/")
    assert (response.status_code, response.content) == (200, b"ok\n")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid

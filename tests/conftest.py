"""Personas and the seal around the suite: fast hashing, clean caches, no network."""

import ipaddress
import socket

import pytest
from django.core.cache import cache

from portal import ratelimits
from portal.delivery import delivery_failed
from tests.factories import make_organization, make_user
from tests.fakes.twilio import serve_fake_twilio
from tests.tasks import QUEUE


class NetworkAccessError(AssertionError):
    """A test tried to reach a host outside this machine."""


def _is_loopback(address: tuple) -> bool:
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Fail loudly on any connection to a non-loopback address (SMTP, Twilio, anything)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(real):
        def connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
                raise NetworkAccessError(f"tests must not reach the network (tried {address!r})")
            return real(sock, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))


@pytest.fixture(autouse=True)
def _fast_and_clean(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.RESET_SEND_SECONDS = 0  # the tests of the reset's timing set their own
    # Counts in this process's memory, whatever a test before pointed the limiter at: a Redis
    # limiter left behind would share its counts with every other run on the machine.
    ratelimits._limiter.cache_clear()
    cache.clear()  # nothing cached may leak between tests
    ratelimits.reset_all()  # nor any rate-limit count
    yield
    cache.clear()
    ratelimits.reset_all()


@pytest.fixture
def northwind(db):
    return make_organization(
        name="Northwind Traders",
        slug="northwind",
        primary_domain="northwind.example",
        helpdesk_url="https://help.northwind.example/",
    )


@pytest.fixture
def alice(northwind):
    """The owner: the employee whose account the test is about."""
    return make_user(
        "alice@northwind.example",
        organization=northwind,
        given_name="Alice",
        surname="Archer",
        job_title="Engineer",
        department="Research",
        office_location="Building 1",
        business_phone="+1 425 555 0100",
    )


@pytest.fixture
def bob(northwind):
    """A colleague in Alice's organization."""
    return make_user(
        "bob@northwind.example", organization=northwind, given_name="Bob", surname="Baker"
    )


@pytest.fixture
def charlie(db):
    """An outsider: another organization entirely."""
    return make_user("charlie@tailspin.example", organization=make_organization(name="Tailspin"))


@pytest.fixture
def admin_user(northwind):
    return make_user(
        "admin@northwind.example", organization=northwind, is_staff=True, is_superuser=True
    )


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def queue(transactional_db, settings):
    """django-tasks-db, as production runs it: sending waits for the worker (tests.tasks)."""
    settings.TASKS = {"default": QUEUE}


@pytest.fixture
def twilio(settings, monkeypatch):
    """Texts and calls through the real Twilio client, to a local fake Twilio."""
    with serve_fake_twilio(settings, monkeypatch) as fake:
        yield fake


@pytest.fixture
def failures():
    """The deliveries announced by `delivery_failed`, in order."""
    announced = []

    def receiver(sender, delivery, **kwargs):
        announced.append(delivery)

    delivery_failed.connect(receiver)
    yield announced
    delivery_failed.disconnect(receiver)


@pytest.fixture
def cache_reads(monkeypatch) -> list:
    """The keys of every read the cache is asked for, in order (a get_many is one read)."""
    reads: list = []
    get_many, get = cache.get_many, cache.get
    inside = []

    def recording_get_many(keys, *args, **kwargs):
        reads.append(list(keys))
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    def recording_get(key, *args, **kwargs):
        if not inside:
            reads.append([key])
        return get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", recording_get_many)
    monkeypatch.setattr(cache, "get", recording_get)
    return reads

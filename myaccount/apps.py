from django.apps import AppConfig


class MyAccountConfig(AppConfig):
    """The project itself, as an app only to carry its command: the demo data (seed_demo),
    which spans every page app."""

    name = "myaccount"
    verbose_name = "My Account"

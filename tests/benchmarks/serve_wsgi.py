"""The WSGI application bench_pages.py --serve runs under gunicorn.

It starts whichever project DJANGO_SETTINGS_MODULE names (the portal's settings, or the allauth
anchor's) as the in-process benchmark does, with DEBUG off, and routes the bare page
(tests/benchmarks/bare.py) to a handler with the session and auth middleware only; every other
path goes to the project's own application.
"""

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application

django.setup(set_prefix=False)
# As bench_pages.setup_django: before the template engine is built and any query runs.
settings.DEBUG = False

from tests.benchmarks.bare import BARE_PATH, BareWSGIHandler  # noqa: E402 (needs the apps)

site = get_wsgi_application()
bare = BareWSGIHandler()


def application(environ, start_response):
    """Serve the bare page from its own handler, everything else from the project's."""
    handler = bare if environ.get("PATH_INFO") == BARE_PATH else site
    return handler(environ, start_response)

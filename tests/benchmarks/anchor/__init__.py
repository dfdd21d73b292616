"""A minimal django-allauth project, the anchor the portal's pages are compared with.

Plain Django with allauth, allauth.account and allauth.mfa as their documentation sets them
up: Django's default middleware plus allauth's, database sessions, Argon2, DEBUG off, the same
cache as the portal's, and allauth's own rate limits. bench_pages.py --serve prepares it
(prepare.py) and serves it with tests/benchmarks/serve_wsgi.py.
"""

"""The API app passwords unlock (mounted at /api/)."""

from django.urls import path

from security_info.app_passwords import api

app_name = "api"

urlpatterns = [
    path("me", api.me, name="me"),
]

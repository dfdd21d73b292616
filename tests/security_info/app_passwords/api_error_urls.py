"""The project's URLs plus API views that fail on purpose, to see how the API answers."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path

from myaccount import urls as project


@login_not_required
def boom(request):
    raise RuntimeError("a bug")


@login_not_required
def forbidden(request):
    raise PermissionDenied


@login_not_required
def cookie_form(request):
    """An API view that, unlike the real ones, would act on the session: CSRF applies."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("api/boom", boom),
    path("api/forbidden", forbidden),
    path("api/cookie-form", cookie_form),
    *project.urlpatterns,
]
handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500

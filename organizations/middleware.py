from django.utils.functional import SimpleLazyObject

from organizations.policies import home_organization


class HomeOrganizationMiddleware:
    """Put the signed-in user's home organization on the request, read only when used."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            request.home_organization = SimpleLazyObject(lambda: home_organization(user))
        return self.get_response(request)

"""Keep your account secure: registering a first method when the policy requires one."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from organizations.models import get_policy
from portal.http import PortalRequest
from security_info.apps import MUST_REGISTER_SESSION_KEY
from security_info.methods import METHOD_TYPES, is_allowed
from security_info.sudo import sudo_required


@require_GET
@sudo_required
def setup(request: PortalRequest) -> HttpResponse:
    """Offer the allowed multi-factor methods, most secure first."""
    if not request.session.get(MUST_REGISTER_SESSION_KEY):
        return redirect("security_info:index")
    policy = get_policy(request.user)
    choices = sorted(
        (t for key, t in METHOD_TYPES.items() if t.second_factor and is_allowed(policy, key)),
        key=lambda method_type: method_type.strength,
    )
    return render(
        request,
        "security_info/setup.html",
        {"recommended": choices[0] if choices else None, "others": choices[1:]},
    )

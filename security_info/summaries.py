from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.models import get_policy
from security_info.methods import default_option, sign_in_options
from security_info.models import Method
from security_info.services import user_methods


def overview_summary(request) -> str:
    """Say on the Overview tile how many methods there are and which one is the default."""
    methods = user_methods(request)
    if not methods:
        return _("No sign-in methods yet")
    count = ngettext("%(count)s method", "%(count)s methods", len(methods)) % {
        "count": len(methods)
    }
    policy = get_policy(request.user)
    default = default_option(
        [o for o in sign_in_options(methods, policy) if o.method.kind != Method.Kind.EMAIL], policy
    )
    if default is None:
        return count
    return _("%(count)s, default: %(default)s") % {"count": count, "default": default.label}


def password_summary(request) -> str:
    """Say on the Overview tile how long ago the password changed (no query: it's on the user)."""
    changed_at = request.user.password_changed_at
    if changed_at is None:
        return _("Never changed here")
    days = (timezone.now() - changed_at).days
    if days < 1:
        return _("Last changed today")
    return ngettext("Last changed %(count)s day ago", "Last changed %(count)s days ago", days) % {
        "count": days
    }

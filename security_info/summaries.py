from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.policies import authentication_policy
from security_info.methods import default_candidates, default_option, user_methods


def overview_summary(request) -> str:
    """Say on the Overview tile how many methods there are and which one is the default."""
    methods = user_methods(request)
    if not methods:
        return _("No sign-in methods yet")
    count = ngettext("%(count)s method", "%(count)s methods", len(methods)) % {
        "count": len(methods)
    }
    policy = authentication_policy(request.user)
    default = default_option(default_candidates(methods, policy), policy)
    if default is None:
        return count
    return _("%(count)s, default: %(default)s") % {"count": count, "default": default.label}

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


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

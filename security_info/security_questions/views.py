"""Security questions: pick and answer them all at once, or delete them all.

There is no "change": like Microsoft's, the set is deleted and registered again.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from organizations.policies import authentication_policy
from portal.http import PortalRequest
from portal.sudo import sudo_required
from security_info.methods import can_add
from security_info.models import SecurityAnswer, SecurityQuestion
from security_info.security_questions.answers import delete_answers, save_answers
from security_info.security_questions.forms import SecurityQuestionsForm

ANSWER_FIELDS = tuple(f"answer_{n}" for n in range(1, 6))


@never_cache
@sensitive_post_parameters(*ANSWER_FIELDS)
@require_http_methods(["GET", "POST"])
@sudo_required
def add(request: PortalRequest) -> HttpResponse:
    user = request.user
    refusal = can_add(user, "security_questions")
    if not refusal and SecurityAnswer.objects.filter(user=user).exists():
        refusal = _("You already have security questions. To choose others, delete them first.")
    count = authentication_policy(user).security_questions_required
    pool = list(SecurityQuestion.objects.filter(is_active=True))
    if not refusal and len(pool) < count:
        refusal = _(
            "There are not enough security questions to choose from. Contact your helpdesk."
        )
    if refusal:
        messages.error(request, refusal)
        return redirect("security_info:index")
    form = SecurityQuestionsForm(pool, count, request.POST or None)
    if request.method == "POST" and form.is_valid():
        save_answers(request, user, form.pairs)
        messages.success(request, _("Security questions saved."))
        return redirect("security_info:index")
    return render(request, "security_info/questions/add.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@sudo_required
def delete(request: PortalRequest) -> HttpResponse:
    """Confirm, then delete all of the user's security answers."""
    if not SecurityAnswer.objects.filter(user=request.user).exists():
        return redirect("security_info:index")
    if request.method == "POST":
        delete_answers(request, request.user)
        messages.success(request, _("Security questions deleted."))
        return redirect("security_info:index")
    return render(request, "security_info/questions/delete.html")

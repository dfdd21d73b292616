from django.urls import path

from security_info.password.views import change, reset

app_name = "password"

urlpatterns = [
    # Change it, with feedback on the new one's strength while it is typed.
    path("", change.change, name="change"),
    path("strength/", change.check_strength, name="strength"),
    # Self-service reset ("Forgot my password", before signing in): the address, one or two
    # verification gates, a new password.
    path("reset/", reset.start, name="reset"),
    path("reset/verify/", reset.choose, name="reset_choose"),
    path("reset/code/", reset.code, name="reset_code"),
    path("reset/questions/", reset.questions, name="reset_questions"),
    path("reset/new/", reset.new_password, name="reset_new_password"),
    path("reset/new/strength/", reset.new_password_strength, name="reset_strength"),
    path("reset/done/", reset.done, name="reset_done"),
    path("reset/cancel/", reset.cancel, name="reset_cancel"),
]

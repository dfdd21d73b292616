"""The sign-in stage the kernel itself brings (the others live in the apps they belong to)."""

from portal.authentication import LoginStage
from portal.interrupts import portal_interrupts


class InterruptsStage(LoginStage):
    """The sign-in step that arms every interrupt due for the user signing in."""

    key = "interrupts"

    def handle(self) -> tuple[None, bool]:
        for interrupt in portal_interrupts():
            value = interrupt.due_for(self.request, self.login.user)
            if value:
                self.request.session[interrupt.session_key] = value
            else:
                self.request.session.pop(interrupt.session_key, None)
        return None, True

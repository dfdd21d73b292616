"""The sign-in stage the kernel itself brings (the others live in the apps they belong to)."""

from portal.authentication import LoginStage
from portal.interrupts import CONTINUE_SESSION_KEY, portal_interrupts


class InterruptsStage(LoginStage):
    """The sign-in step that arms every interrupt due for the user signing in, and notes where
    the sign-in was going, for the last of them to lead there."""

    key = "interrupts"

    def handle(self) -> tuple[None, bool]:
        session = self.request.session
        session.pop(CONTINUE_SESSION_KEY, None)
        for interrupt in portal_interrupts():
            value = interrupt.due_for(self.request, self.login.user)
            if value:
                session[interrupt.session_key] = value
                if self.login.redirect_url:
                    session[CONTINUE_SESSION_KEY] = self.login.redirect_url
            else:
                session.pop(interrupt.session_key, None)
        return None, True

from security_info.passkeys import webauthn


def passkeys(request) -> dict:
    """Tell every template whether passkeys can work at this address: the sign-in page, the
    second step and sudo mode offer them only where they can (see webauthn.works_at)."""
    return {"passkeys_work_here": webauthn.works_at(request)}

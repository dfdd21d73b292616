"""The WebAuthn ceremonies for passkeys and security keys, done with the fido2 library.

Each ceremony has two halves. `*_options()` starts it: it returns the JSON the browser hands
to `navigator.credentials`, and keeps the challenge in the session under a purpose, to be
used once within CHALLENGE_SECONDS. The other half checks what the browser sent back and
raises PasskeyError, with a message for the person, whenever anything about it is wrong.

The relying party is the host the page was served from (without the port), and a response
is accepted only from that very host: over https, or over plain http on localhost. Browsers
refuse an IP address as a relying party, so at one (http://127.0.0.1:8000) passkeys cannot
work at all: works_at() tells, and the pages offer them only where it says they can.
"""

import ipaddress
import logging
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from fido2.attestation import Attestation, AttestationType, verify_x509_chain
from fido2.attestation.base import InvalidAttestation
from fido2.cose import UnsupportedKey
from fido2.rpid import verify_rp_id
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationConveyancePreference,
    AttestationObject,
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    RegistrationResponse,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from organizations.policies import authentication_policy
from security_info.models import Method
from signins.models import SignInEvent

logger = logging.getLogger(__name__)

SESSION_KEY = "security_info.passkey.{purpose}"
CHALLENGE_SECONDS = 5 * 60
# Everything that parsing a malformed response can raise: bad base64, CBOR, JSON, lengths,
# and CBOR nested deep enough to exhaust the parser's recursion.
MALFORMED = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    struct.error,
    RecursionError,
)


class PasskeyError(Exception):
    """The ceremony failed. str(e) tells the person what happened; `user` is who, if known."""

    def __init__(self, message: str, *, user=None, reason=SignInEvent.Reason.INVALID_CREDENTIAL):
        super().__init__(message)
        self.user = user
        self.reason = reason


@dataclass(frozen=True)
class NewCredential:
    """A verified registration, as the Method row stores it."""

    credential_id: str  # base64url
    credential: str  # base64url of the fido2 AttestedCredentialData
    sign_count: int
    passwordless: bool  # discoverable: it can sign in without a user name or password
    aaguid: str  # the authenticator's make and model


def allows_model(policy, aaguid: object) -> bool:
    """Tell whether the policy's key restrictions let in a passkey of this model (None or
    all zeros: the key did not say)."""
    return policy.allows_passkey_model(str(aaguid) if aaguid else "")


def blocked_message() -> str:
    return _(
        "Your organization doesn't allow this model of passkey or security key. Sign in "
        "another way, and ask your admin which ones you can use."
    )


# What the pages say where works_at() is false.
NOT_HERE = gettext_lazy(
    "Passkeys can't be used at this address. Browsers allow them only on a site opened by its "
    "name (not an IP address) over https, or as localhost."
)


def rp_id(request) -> str:
    domain, _port = split_domain_port(request.get_host())
    return domain


def works_at(request) -> bool:
    """Tell whether a browser can use passkeys at the address this request came to: a host
    name, not an IP address, in a secure context (https, or http on localhost)."""
    domain = rp_id(request)
    try:
        ipaddress.ip_address(domain.removeprefix("[").removesuffix("]"))
    except ValueError:
        return verify_rp_id(domain, f"{request.scheme}://{request.get_host()}")
    return False


def _server(request, *, attested: bool = False) -> Fido2Server:
    """The relying party for this site; `attested`: registrations must prove their make and
    model (the policy's "enforce attestation")."""
    domain = rp_id(request)
    relying_party = PublicKeyCredentialRpEntity(id=domain, name=settings.SITE_NAME)
    host = request.get_host()

    def verify_origin(origin: str) -> bool:
        # fido2's check alone would also accept sibling subdomains; we want this exact site.
        # It already refuses plain http anywhere but on localhost.
        return urlsplit(origin).netloc == host and verify_rp_id(domain, origin)

    if attested:
        server = Fido2Server(
            relying_party,
            verify_origin=verify_origin,
            attestation=AttestationConveyancePreference.DIRECT,
            verify_attestation=_verify_attestation,
        )
    else:
        server = Fido2Server(relying_party, verify_origin=verify_origin)
    server.timeout = CHALLENGE_SECONDS * 1000  # type: ignore[assignment]  # milliseconds
    return server


def user_handle(user) -> bytes:
    """The opaque id a discoverable passkey keeps for its account (no personal data in it)."""
    return str(user.pk).encode()


def credential_data(method: Method) -> AttestedCredentialData | None:
    """Return the passkey's stored credential, or None (logged) if it cannot be used.

    A row that does not parse, or whose key is of a kind fido2 cannot check a signature with,
    would fail every ceremony it took part in: it is left out of them instead.
    """
    try:
        credential = AttestedCredentialData(websafe_decode(method.credential))
    except MALFORMED as e:
        logger.warning("passkey %s of user %s cannot be read: %s", method.pk, method.user_id, e)
        return None
    if isinstance(credential.public_key, UnsupportedKey):
        logger.warning(
            "passkey %s of user %s has a key of unsupported algorithm %r",
            method.pk,
            method.user_id,
            credential.public_key.get(3),
        )
        return None
    return credential


def _verify_attestation(attestation: AttestationObject, client_data_hash: bytes) -> None:
    """Accept only an attestation signed with a certificate the key's maker issued for its
    model, whose certificates chain together (fido2 checks the statement, the signature, and
    that the certificate names the same AAGUID as the key). Refuse "none" and self
    attestation: they prove no model. The makers' root certificates are not looked up (that
    would take the FIDO Metadata Service), so this proves a certificate, not who made it."""
    verifier = Attestation.for_type(attestation.fmt)()
    result = verifier.verify(attestation.att_stmt, attestation.auth_data, client_data_hash)
    if result.attestation_type not in (AttestationType.BASIC, AttestationType.ATT_CA):
        raise InvalidAttestation(f"{attestation.fmt} attestation proves no model")
    verify_x509_chain(result.trust_path)


def _usable_credentials(passkeys) -> list[AttestedCredentialData]:
    return [c for c in map(credential_data, passkeys) if c is not None]


# Registration ---------------------------------------------------------------------------------


def registration_options(request, user) -> dict:
    """Start adding a passkey for `user`; the keys they already have are excluded."""
    existing = _usable_credentials(Method.objects.filter(user=user, kind=Method.Kind.PASSKEY))
    attested = authentication_policy(user).passkey_attestation_required
    options, state = _server(request, attested=attested).register_begin(
        PublicKeyCredentialUserEntity(
            id=user_handle(user),
            name=user.email,
            display_name=user.name,
        ),
        credentials=existing,
        # Discoverable when the authenticator can (then it signs in without a password); an
        # older security key that cannot still works as a second step.
        resident_key_requirement=ResidentKeyRequirement.PREFERRED,
        user_verification=UserVerificationRequirement.PREFERRED,
        extensions={"credProps": True},
    )
    _save_state(request, "register", state, user)
    return dict(options)


def verify_registration(request, user, response) -> NewCredential:
    """Check the browser's answer to registration_options(); return the new credential.

    The key must be of one of the algorithms the options offered: fido2 does not check that,
    and a key it cannot verify signatures with would be refused at every use. Its model must
    be one the user's policy allows, proved by attestation where the policy says so.
    """
    state = _pop_state(request, "register", user)
    policy = authentication_policy(user)
    server = _server(request, attested=policy.passkey_attestation_required)
    try:
        registration = RegistrationResponse.from_dict(_mapping(response))
        auth_data = server.register_complete(state, registration)
    except InvalidAttestation as e:
        logger.info("passkey registration refused: attestation: %s", e)
        raise PasskeyError(
            _(
                "Your organization needs passkeys and security keys to prove their make and "
                "model, and this one didn't. Use a security key your organization approves, "
                "or ask your admin."
            )
        ) from e
    except MALFORMED as e:
        logger.info("passkey registration refused: %s", e)
        raise PasskeyError(_("Your browser's answer could not be verified. Try again.")) from e
    credential = auth_data.credential_data
    if credential is None:  # a registration always attests one; refuse a response without
        raise PasskeyError(_("Your browser's answer could not be verified. Try again."))
    algorithm = credential.public_key.get(3)
    if not isinstance(algorithm, int) or algorithm not in _offered_algorithms(server):
        logger.info("passkey registration refused: algorithm %r was not offered", algorithm)
        raise PasskeyError(
            _(
                "This passkey uses a kind of key this site doesn't accept. Try a different passkey or security key."
            )
        )
    aaguid = str(credential.aaguid)
    if not allows_model(policy, aaguid):
        logger.info("passkey registration refused: model %s is not allowed", aaguid)
        raise PasskeyError(blocked_message())
    props = registration.client_extension_results.cred_props
    discoverable = props.get("rk") if isinstance(props, dict) else None
    return NewCredential(
        credential_id=websafe_encode(credential.credential_id),
        credential=websafe_encode(bytes(credential)),
        sign_count=auth_data.counter,
        passwordless=discoverable is True,
        aaguid=aaguid,
    )


# Authentication -------------------------------------------------------------------------------


def authentication_options(request, purpose: str, user=None) -> dict:
    """Start proving a passkey for `purpose`.

    With a user, only their passkeys are offered; without one ("passwordless"), the browser
    offers the passkeys it holds for this site and the passkey must verify the person (PIN,
    face, fingerprint), since it is the only factor.
    """
    if user is None:
        credentials = []
        verification = UserVerificationRequirement.REQUIRED
    else:
        passkeys = Method.objects.filter(user=user, kind=Method.Kind.PASSKEY)
        credentials = _usable_credentials(passkeys)
        verification = UserVerificationRequirement.PREFERRED
    options, state = _server(request).authenticate_begin(
        credentials=credentials, user_verification=verification
    )
    _save_state(request, purpose, state, user)
    return dict(options)


def verify_assertion(request, purpose: str, response, user=None) -> Method:
    """Check the browser's answer to authentication_options(); return the passkey it proved.

    With a user, only their passkeys may answer; without one, any registered passkey. The
    passkey's signature counter and last use are updated; a counter that did not go up
    means the key may have been copied, and is refused; so is a key of a model that the
    owner's policy no longer allows (told only to whoever holds the key).
    """
    state = _pop_state(request, purpose, user)
    try:
        assertion = AuthenticationResponse.from_dict(_mapping(response))
    except MALFORMED as e:
        raise PasskeyError(_("Your browser's answer could not be verified. Try again.")) from e
    passkeys = Method.objects.filter(kind=Method.Kind.PASSKEY).select_related("user")
    if user is not None:
        passkeys = passkeys.filter(user=user)
    method = passkeys.filter(credential_id=websafe_encode(assertion.raw_id)).first()
    if method is None:
        raise PasskeyError(_("This passkey isn't registered for your account."))
    credential = credential_data(method)
    if credential is None:
        raise PasskeyError(_("That passkey didn't work."), user=method.user)
    try:
        _server(request).authenticate_complete(state, [credential], assertion)
    except MALFORMED as e:
        logger.info("passkey %s refused: %s", method.pk, e)
        raise PasskeyError(_("That passkey didn't work."), user=method.user) from e
    handle = assertion.response.user_handle
    if handle is not None and handle != user_handle(method.user):
        raise PasskeyError(_("That passkey didn't work."), user=method.user)
    if not allows_model(authentication_policy(method.user), method.aaguid):
        raise PasskeyError(
            blocked_message(), user=method.user, reason=SignInEvent.Reason.BLOCKED_PASSKEY
        )
    _count_use(method, assertion.response.authenticator_data.counter)
    return method


def _offered_algorithms(server: Fido2Server) -> set[int]:
    """The COSE algorithms registration_options() lists in pubKeyCredParams."""
    return {parameters.alg for parameters in server.allowed_algorithms}


def _mapping(response: object) -> Mapping:
    """Return the browser's answer, which must be a JSON object (fido2 reads None as "none")."""
    if not isinstance(response, Mapping):
        raise TypeError(f"a credential is an object, not {type(response).__name__}")
    return response


def _count_use(method: Method, counter: int) -> None:
    now = timezone.now()
    passkeys = Method.objects.filter(pk=method.pk)
    if counter == 0 and method.sign_count == 0:
        # Many passkeys (synced ones especially) keep no counter at all.
        passkeys.update(last_used_at=now)
        return
    # Conditional, so that two uses of a copied key racing each other cannot both pass.
    if not passkeys.filter(sign_count__lt=counter).update(sign_count=counter, last_used_at=now):
        logger.warning(
            "passkey %s of user %s: counter %s not above %s, possibly cloned",
            method.pk,
            method.user_id,
            counter,
            method.sign_count,
        )
        raise PasskeyError(
            _(
                "That passkey didn't work: it may have been copied. Sign in another way and check your security info."
            ),
            user=method.user,
        )
    method.sign_count, method.last_used_at = counter, now


# The challenge, kept in the session -----------------------------------------------------------


def _save_state(request, purpose: str, state: dict, user) -> None:
    request.session[SESSION_KEY.format(purpose=purpose)] = {
        **state,
        "user": user.pk if user else None,
        "at": time.time(),
    }


def _pop_state(request, purpose: str, user) -> dict:
    """Return the challenge for `purpose` once; refuse a missing, stale or someone else's one."""
    state = request.session.pop(SESSION_KEY.format(purpose=purpose), None)
    if not isinstance(state, dict) or state.get("user") != (user.pk if user else None):
        raise PasskeyError(_("Start again: the request to your passkey has expired."))
    if time.time() - state.get("at", 0) > CHALLENGE_SECONDS:
        raise PasskeyError(_("That took too long. Try again."))
    return state

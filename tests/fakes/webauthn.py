"""SoftKey: a software passkey that answers the server's real WebAuthn options.

Built from fido2's data types and an EC P-256 key, it makes real attestations and signed
assertions, as Chromium would for a page served from http://localhost. Given another COSE
`algorithm`, it claims that one for its key (an authenticator the site never offered it to).
"""

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import sha256, websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

ORIGIN = "http://localhost"
Flag = AuthenticatorData.FLAG


class SoftKey:
    """A software passkey: creates a credential and signs assertions like an authenticator."""

    def __init__(self, rp_id: str = "localhost", *, algorithm: int = ES256.ALGORITHM):
        self.rp_id_hash = sha256(rp_id.encode())
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.algorithm = algorithm
        self.credential_id = os.urandom(32)
        self.counter = 0
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return websafe_encode(self.credential_id)

    def create(self, options: dict, *, origin: str = ORIGIN, discoverable: bool = True) -> dict:
        public_key = options["publicKey"]
        self.user_handle = websafe_decode(public_key["user"]["id"])
        client_data = CollectedClientData.create(
            type="webauthn.create", challenge=public_key["challenge"], origin=origin
        )
        credential = self.credential_data()
        auth_data = AuthenticatorData.create(
            self.rp_id_hash, Flag.UP | Flag.UV | Flag.AT, self.counter, credential
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": client_data.b64,
                "attestationObject": websafe_encode(attestation),
            },
            "clientExtensionResults": {"credProps": {"rk": discoverable}},
        }

    def get(
        self, options: dict, *, origin: str = ORIGIN, counter: int | None = None, verified=True
    ) -> dict:
        public_key = options["publicKey"]
        self.counter = self.counter + 1 if counter is None else counter
        client_data = CollectedClientData.create(
            type="webauthn.get", challenge=public_key["challenge"], origin=origin
        )
        flags = Flag.UP | Flag.UV if verified else Flag.UP
        auth_data = AuthenticatorData.create(self.rp_id_hash, flags, self.counter)
        signature = self.private_key.sign(
            bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256())
        )
        response = {
            "clientDataJSON": client_data.b64,
            "authenticatorData": websafe_encode(auth_data),
            "signature": websafe_encode(signature),
        }
        if self.user_handle:
            response["userHandle"] = websafe_encode(self.user_handle)
        return {"id": self.id, "rawId": self.id, "type": "public-key", "response": response}

    def credential_data(self) -> AttestedCredentialData:
        """The credential as the server stores it once registered."""
        public_key = ES256.from_cryptography_key(self.private_key.public_key())
        return AttestedCredentialData.create(
            Aaguid.NONE, self.credential_id, {**public_key, 3: self.algorithm}
        )

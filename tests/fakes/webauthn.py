"""SoftKey: a software passkey that answers the server's real WebAuthn options.

Built from fido2's data types and an EC P-256 key, it makes real attestations and signed
assertions, as Chromium would for a page served from http://localhost. Given another COSE
`algorithm`, it claims that one for its key (an authenticator the site never offered it to).
It says it is of the model `aaguid`; with `attestation="packed"` it proves that with a
certificate its own maker (a CA made here) issued, as a security key does, and with "self"
it signs its attestation with its own key, which proves no model.
"""

import datetime
import os
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
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
# A make and model, as a security key's maker publishes it (made up here).
SOFT_KEY_AAGUID = "5ca1ab1e-0000-4000-8000-00000000c0de"
OID_AAGUID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")


def _name(common_name: str, unit: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Soft Keys Ltd"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool, aaguid: bytes = b""):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if aaguid:  # an OCTET STRING of the 16 bytes
        builder = builder.add_extension(
            x509.UnrecognizedExtension(OID_AAGUID, b"\x04\x10" + aaguid), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


def attestation_chain(aaguid: bytes) -> tuple[ec.EllipticCurvePrivateKey, list[bytes]]:
    """A maker's CA and an attestation certificate it issued for the model: (key, x5c)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Soft Keys Root CA", "Certificate Authority")
    root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = _name("Soft Key Attestation", "Authenticator Attestation")
    leaf = _certificate(leaf_name, root_name, key.public_key(), root_key, ca=False, aaguid=aaguid)
    der = serialization.Encoding.DER
    return key, [leaf.public_bytes(der), root.public_bytes(der)]


class SoftKey:
    """A software passkey: creates a credential and signs assertions like an authenticator."""

    def __init__(
        self,
        rp_id: str = "localhost",
        *,
        algorithm: int = ES256.ALGORITHM,
        aaguid: str = SOFT_KEY_AAGUID,
        attestation: str = "none",
    ):
        self.aaguid = Aaguid(uuid.UUID(aaguid).bytes)
        self.attestation = attestation
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
        attestation = AttestationObject.create(
            self.attestation, auth_data, self._statement(auth_data, client_data)
        )
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
            self.aaguid, self.credential_id, {**public_key, 3: self.algorithm}
        )

    def _statement(self, auth_data, client_data) -> dict:
        """The attestation statement: none, packed with a maker's certificate, or self."""
        if self.attestation == "none":
            return {}
        signed = bytes(auth_data) + client_data.hash
        if self.attestation == "self":
            signature = self.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
            return {"alg": ES256.ALGORITHM, "sig": signature}
        key, x5c = attestation_chain(bytes(self.aaguid))
        signature = key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {"alg": ES256.ALGORITHM, "sig": signature, "x5c": x5c}

"""Model fields that say a column holds key-dependent secrets, so key rotation can find them.

Both are plain columns: the field does not encrypt or hash by itself. Code encrypts with
`portal.crypto.encrypt` and decrypts only where the secret is used, so a model instance never
carries the plaintext into a form, the admin, a log or a data export. `rotate_field_key` finds
every such column in every installed app by its field class.
"""

from django.db import models


class EncryptedTextField(models.TextField):
    """Holds a token from `portal.crypto.encrypt` (or "" for none)."""


class DigestField(models.CharField):
    """Holds a keyed digest from `portal.crypto.digest`: 64 hexadecimal characters."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

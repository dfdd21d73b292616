"""Re-encrypt every encrypted value in the database with the current FIELD_ENCRYPTION_KEY.

Run it after putting a new key in FIELD_ENCRYPTION_KEY and the old one in
FIELD_ENCRYPTION_KEY_FALLBACKS. It finds the columns by their field class, in every installed
app: each portal.fields.EncryptedTextField value that an older key made is re-encrypted; the
keyed digests in portal.fields.DigestField columns are only counted, because a digest cannot
be re-made without the secret it hashes, and which key made one cannot be read from it.

A second run changes nothing; --dry-run changes nothing either, and says what a run would do.
"""

import math
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models

from portal import crypto
from portal.fields import DigestField, EncryptedTextField


@dataclass
class Tally:
    reencrypted: int = 0
    current: int = 0
    unreadable: int = 0


def columns(field_class: type[models.Field]) -> list[tuple[type[models.Model], models.Field]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, field_class)
    ]


def stored_values(model: type[models.Model], field: models.Field) -> models.QuerySet:
    """Return the rows that hold a value in the column (the base manager sees every row)."""
    empty = {field.attname: ""}
    null = {f"{field.attname}__isnull": True}
    return model._meta.base_manager.exclude(**empty).exclude(**null)


def reencrypt(model: type[models.Model], field: models.Field, dry_run: bool) -> Tally:
    tally = Tally()
    rows = stored_values(model, field).values_list("pk", field.attname)
    for pk, token in rows.iterator():
        try:
            renewed = crypto.reencrypted(token)
        except ValueError:
            tally.unreadable += 1
            continue
        if renewed is None:
            tally.current += 1
        elif dry_run:
            tally.reencrypted += 1
        else:
            # Only if unchanged meanwhile: a value written since is made with the current key.
            same_row = model._meta.base_manager.filter(pk=pk, **{field.attname: token})
            tally.reencrypted += same_row.update(**{field.attname: renewed})
    return tally


def label(model: type[models.Model], field: models.Field) -> str:
    return f"{model._meta.label}.{field.name}"


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the current FIELD_ENCRYPTION_KEY after a rotation."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what a run would change; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        unreadable = self.report_encrypted_values(dry_run)
        self.report_digests()
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) could not be decrypted with any listed key: they were "
                "made with a key that is no longer listed, or are damaged. Add that key to "
                "FIELD_ENCRYPTION_KEY_FALLBACKS and run this again."
            )

    def report_encrypted_values(self, dry_run: bool) -> int:
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        total = Tally()
        for model, field in columns(EncryptedTextField):
            tally = reencrypt(model, field, dry_run)
            self.stdout.write(
                f"{label(model, field)}: {tally.reencrypted} {verb}, {tally.current} already "
                f"with the current key, {tally.unreadable} cannot be decrypted."
            )
            total.reencrypted += tally.reencrypted
            total.unreadable += tally.unreadable
        self.stdout.write(
            self.style.SUCCESS(f"{total.reencrypted} encrypted value(s) {verb} in all.")
        )
        return total.unreadable

    def report_digests(self) -> None:
        total = 0
        for model, field in columns(DigestField):
            count = stored_values(model, field).count()
            self.stdout.write(f"{label(model, field)}: {count} keyed digest(s).")
            total += count
        if not settings.FIELD_ENCRYPTION_KEY_FALLBACKS:
            self.stdout.write(
                "No older key is listed in FIELD_ENCRYPTION_KEY_FALLBACKS, so every digest "
                "that still matches was made with the current key: 0 depend on an old key."
            )
            return
        if total:
            self.stdout.write(
                self.style.WARNING(
                    f"Up to {total} digest(s) may still depend on an older key. A digest cannot "
                    "be re-made without the secret it hashes, and which key made one cannot be "
                    "read from it. They keep matching under every listed key; where an app has "
                    "the secret at hand, on a successful check, it re-makes the digest with the "
                    "current key. Removing an older key breaks the digests it made: keep it "
                    "listed until those secrets are used or replaced."
                )
            )
        else:
            self.stdout.write("No keyed digest is stored: 0 depend on an old key.")
        days = math.ceil(settings.SESSION_COOKIE_AGE / (24 * 60 * 60))
        self.stdout.write(
            "Sessions and queued messages hold short-lived encrypted values of their own, not "
            f"re-encrypted here: keep an older key listed at least {days} day(s) "
            "(SESSION_COOKIE_AGE) after the rotation."
        )

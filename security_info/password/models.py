"""What the password app keeps: the hashes of earlier passwords, and wrong-password counts."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PasswordHistory(models.Model):
    """A password hash the user had before, kept to refuse its reuse."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_recent")]

    def __str__(self) -> str:
        return f"{self.user}: password of {self.created_at:%Y-%m-%d}"


class Lockout(models.Model):
    """Wrong-password count and lock for one account, kept apart for familiar places.

    Smart lockout: failures from addresses the user has signed in from lately ("familiar")
    and from anywhere else are counted separately, so an attacker elsewhere can lock out only
    the unfamiliar side while the user still signs in from the office or home.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lockouts",
        null=True,
        blank=True,
    )
    # For an address with no account: its keyed hash. It locks like an account would, so the
    # lock message tells nobody which addresses are real.
    address = models.CharField(max_length=64, blank=True)
    familiar = models.BooleanField()
    failures = models.PositiveIntegerField(default=0)
    # Lockouts in a row: each lasts twice as long as the last; a success resets it.
    streak = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "familiar"], name="lockout_per_side"),
            models.UniqueConstraint(
                fields=["address", "familiar"],
                condition=~models.Q(address=""),
                name="lockout_per_unknown_address",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, address="")
                | models.Q(user__isnull=True) & ~models.Q(address=""),
                name="lockout_of_an_account_or_an_address",
            ),
        ]

    def __str__(self) -> str:
        side = "familiar" if self.familiar else "unfamiliar"
        return f"{self.user or 'unknown address'} ({side}): {self.failures} failures"

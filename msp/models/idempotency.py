from django.db import models

from msp.models.tenancy import Membership


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` an API client sent with a write, and the answer it got.

    Kept per membership (so per tenant and role), for a day: a retry with the same key and
    the same request gets the stored answer instead of a second write; the same key with
    another request is refused (409). ``status_code`` is empty while the first request runs.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "key"], name="msp_idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.membership_id})"

"""The audit trail: one append-only row per change to money or hours.

A row is tenant-owned like every other (its own `tenant` column, read through the scoped
manager), so a tenant's history is fenced as its contracts are. It names the object by its
model label and id, not by a foreign key: the trail outlives what it describes (a deleted
time entry keeps its history), and nothing cascading from a user, membership or object can
rewrite or remove it. The person's name is kept as it was then.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp.actors import Channel
from msp.scoping import TenantManager, TenantOwnedModel, TenantQuerySet


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")


class AppendOnly(Exception):
    """An audit row is never changed or removed, by anyone."""


class AuditQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit entries are append-only")

    def delete(self):
        raise AppendOnly("audit entries are append-only")

    _raw_delete = delete

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("audit entries are append-only")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnly("audit entries are append-only")


class AuditManager(TenantManager.from_queryset(AuditQuerySet)):
    pass


class AuditEntry(TenantOwnedModel):
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    # What changed: "contracts.contract" and its id (shown as "Contract #12": a row's own
    # text may need its relations, a query per change on a batch).
    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    # The contract, invoice or service tier whose history the change belongs to (their pages).
    contract_id = models.BigIntegerField(null=True, blank=True)
    invoice_id = models.BigIntegerField(null=True, blank=True)
    tier_id = models.BigIntegerField(null=True, blank=True)
    # {field: [before, after]}: only the changed fields on an update; before is null on a
    # create, after on a delete. Values as JSON (money as [amount, currency]).
    changes = models.JSONField(default=dict)
    # Who, and from where (msp.actors).
    user_id = models.BigIntegerField(null=True, blank=True)
    membership_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(_("who"), max_length=300, blank=True)
    channel = models.CharField(_("through"), max_length=10, choices=Channel.choices)
    via = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditManager()
    unscoped = models.Manager.from_queryset(AuditQuerySet)()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["tenant", "contract_id", "-id"], name="audit_contract_newest"),
            models.Index(fields=["tenant", "invoice_id", "-id"], name="audit_invoice_newest"),
            models.Index(fields=["tenant", "tier_id", "-id"], name="audit_tier_newest"),
            models.Index(fields=["tenant", "object_type", "object_id", "-id"], name="audit_object_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_type} #{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit entries are append-only")

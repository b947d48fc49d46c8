"""In-app notifications of the MSP's members, and which of them each member also gets by e-mail.

A notification belongs to one membership (a person in one tenant): nobody else, not even a
colleague of the same tenant, ever reads it. It points at what it is about generically
(``target_type`` + ``target_id``, e.g. ``tickets.ticket`` 42) and by a link, so msp/ needs no
import of the apps downstream that raise them (msp.notifications.notify).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp.scoping import TenantOwnedModel


class NotificationKind(models.TextChoices):
    TICKET_NEW = "ticket_new", _("A client opens a ticket")
    TICKET_REPLY = "ticket_reply", _("A client replies on a ticket")
    TICKET_ASSIGNED = "ticket_assigned", _("A ticket is assigned to me")
    SLA = "sla", _("A ticket's SLA is at risk or breached")
    HOURS_LOW = "hours_low", _("A client's prepaid hours run low or are renewed")
    TRIAL_ENDING = "trial_ending", _("A client's free trial is ending")
    ALERT = "alert", _("Monitoring opens an urgent ticket")


class Notification(TenantOwnedModel):
    # Staff only: a client contact is told by e-mail, never through these rows.
    CLIENT_PATH = None

    membership = models.ForeignKey(
        "msp.Membership", on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)  # a path of this site
    target_type = models.CharField(max_length=60, blank=True)  # "tickets.ticket"
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "membership", "-created_at", "-id"], name="msp_notification_list"),
            models.Index(
                fields=["tenant", "membership"],
                condition=Q(read_at__isnull=True),
                name="msp_notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(TenantOwnedModel):
    """A member's choice for one kind; no row means the default: e-mail on."""

    membership = models.ForeignKey(
        "msp.Membership", on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "kind"], name="%(app_label)s_%(class)s_unique_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.kind}: {'e-mail' if self.email else 'in-app'}"

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from msp.scoping import TenantOwnedModel
from timetracking.rounding import MAX_ENTRY_MINUTES


def labour_amount(hourly_rate, overage_minutes: int):
    """Overage minutes at an hourly rate (the weighted minutes already carry the factor)."""
    from msp.money import quantize_money

    return quantize_money(hourly_rate * overage_minutes / 60)


def worked_at():
    """When the work was done: the start of a timed entry, else when it was logged. The
    timesheet orders by it (and filters with ``worked_between``)."""
    return Coalesce(F("started_at"), F("created_at"))


def worked_between(lower, upper) -> Q:
    """``lower <= worked_at() < upper``, spelled without COALESCE: under PostgreSQL's row-level
    security (msp.db.rls) a condition on a COALESCE counts as leaky and may not be an index
    condition, so the week was read by filtering every entry of the technician (38 ms at 5,000
    entries instead of 0.4). These two ranges are read from the (tenant, technician, started_at)
    and (tenant, technician, created_at) indexes."""
    return Q(started_at__gte=lower, started_at__lt=upper) | Q(
        started_at__isnull=True, created_at__gte=lower, created_at__lt=upper
    )


class WorkType(TenantOwnedModel):
    """What kind of work an entry is; after-hours or weekend work may weigh more (1.5×)."""

    CHOICE_LABEL = "name"
    name = models.CharField(_("name"), max_length=100)
    rate_factor = models.DecimalField(
        _("rate factor"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("5"))],
    )
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("work type")
        verbose_name_plural = _("work types")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("timesheet:worktype-update", args=[self.pk])


class TimeEntry(TenantOwnedModel):
    """Minutes of work on a ticket. Integer minutes, rounded once, at save, by the contract's rule.

    `billed_minutes` is after rounding and the work type's factor; of those, `drawn_minutes`
    came out of prepaid hours and `overage_minutes` did not; `covered` marks work an
    all-inclusive tier includes (recorded, drawing nothing).
    """

    CLIENT_PATH = "ticket__client"

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="time_entries"
    )
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="time_entries"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    work_type = models.ForeignKey(
        WorkType,
        verbose_name=_("work type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(MAX_ENTRY_MINUTES)]
    )
    rate_factor = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("1.00"))
    billed_minutes = models.PositiveIntegerField(_("billed minutes"), default=0)
    drawn_minutes = models.PositiveIntegerField(_("drawn from prepaid hours"), default=0)
    overage_minutes = models.PositiveIntegerField(_("overage"), default=0)
    covered = models.BooleanField(_("covered by the tier"), default=False)
    # The break/fix rate of work on a ticket that bills to no contract: the tenant's default,
    # carried by the entry when it is saved (a later change of the default never reprices it).
    hourly_rate = MoneyField(
        _("break/fix hourly rate"), max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    billable = models.BooleanField(_("billable"), default=True)
    onsite = models.BooleanField(
        _("on-site visit"),
        default=False,
        help_text=_(
            "Work at the client's premises: a call-out fee is billed, less the tier's on-site discount."
        ),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    invoiced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        indexes = [
            # With time_entry_tech_created, also the timesheet's week (see worked_between).
            models.Index(fields=["tenant", "technician", "started_at"]),
            # The API's newest-first lists: a technician's own entries, and everyone's.
            models.Index(fields=["tenant", "technician", "created_at", "id"], name="time_entry_tech_created"),
            models.Index(fields=["tenant", "created_at", "id"], name="time_entry_tenant_created"),
            # The API's other orderings over everyone's entries (a technician's own read
            # `(tenant, technician, started_at)`, or these with a filter).
            models.Index(fields=["tenant", "started_at", "id"], name="time_entry_tenant_started"),
            models.Index(fields=["tenant", "minutes", "id"], name="time_entry_tenant_minutes"),
            models.Index(fields=["tenant", "ticket"]),
            # The monthly billing run: a client's entries on its contracts, up to the period's end.
            models.Index(fields=["tenant", "contract", "created_at"], name="time_entry_contract_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0) & Q(minutes__lte=MAX_ENTRY_MINUTES),
                name="%(app_label)s_%(class)s_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(ended_at__gt=models.F("started_at")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        text = f"{self.minutes} min on #{self.ticket_id}"
        return f"{text}: {self.note[:60]}" if self.note else text

    def get_absolute_url(self) -> str:
        return reverse("timesheet:entry-update", args=[self.pk])

    @property
    def rate(self):
        """The hourly rate its labour is billed at: the contract's, else the break/fix rate it carries."""
        if self.contract_id is not None:
            return self.contract.hourly_rate
        return self.hourly_rate

    @property
    def labour_amount(self):
        """Break/fix labour at the contract's rate (or, without a contract, the tenant's
        break/fix rate the entry carries) × the work type's factor (billing invoices it)."""
        rate = self.rate
        if not self.overage_minutes or rate is None:
            return None
        return labour_amount(rate, self.overage_minutes)


class Timer(TenantOwnedModel):
    """A technician's running timer: one at a time per technician and tenant."""

    CLIENT_PATH = None

    technician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="timers")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="timers")
    started_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "technician"], name="%(app_label)s_%(class)s_one_running"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician} on {self.ticket_id} since {self.started_at:%H:%M}"

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from assets.choices import AssetKind
from contracts.choices import ContractKind, ContractStatus, Feature, ServiceUnit
from contracts.limits import BALANCE_CEILING_MINUTES, MAX_BLOCK_MINUTES
from msp.models.tenancy import CURRENCY_CHOICES, TIMEZONE_CHOICES
from msp.scoping import TenantOwnedModel

MONEY = {"max_digits": 14, "decimal_places": 2, "currency_choices": CURRENCY_CHOICES}
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class ServiceTier(TenantOwnedModel):
    """A managed-service package (Silver/Gold/Platinum), priced per asset kind per month."""

    CHOICE_LABEL = "name"
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in offers, thin first.")
    )
    description = models.TextField(_("description"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    features = models.JSONField(_("included features"), default=list, blank=True)
    onsite_discount_percent = models.DecimalField(
        _("on-site call-out discount (%)"), max_digits=5, decimal_places=2, default=0, validators=PERCENT
    )
    includes_labour = models.BooleanField(
        _("labour included"), default=False, help_text=_("All-inclusive: covered work draws no hours.")
    )
    after_hours_support = models.BooleanField(_("after-hours support"), default=False)
    review_meeting_hours = models.PositiveSmallIntegerField(_("review meeting hours per year"), default=0)
    sla_policy = models.ForeignKey(
        "SlaPolicy",
        verbose_name=_("SLA policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tiers",
    )
    sla_first_response_minutes = models.PositiveIntegerField(
        _("SLA first response (minutes)"), null=True, blank=True
    )
    sla_server_first_response_minutes = models.PositiveIntegerField(
        _("SLA first response for servers (minutes)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("service tier")
        verbose_name_plural = _("service tiers")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name", "currency"], name="%(app_label)s_%(class)s_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tiers:detail", args=[self.pk])

    def feature_labels(self) -> list[str]:
        return [Feature(code).label for code in self.features if code in Feature.values]


class TierPrice(TenantOwnedModel):
    """The monthly price of one asset kind in one tier."""

    tier = models.ForeignKey(ServiceTier, on_delete=models.CASCADE, related_name="prices")
    kind = models.CharField(_("asset kind"), max_length=20, choices=AssetKind.choices)
    price = MoneyField(_("monthly price"), **MONEY)

    class Meta:
        ordering = ["tier", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "kind"], name="%(app_label)s_%(class)s_unique_kind"),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="%(app_label)s_%(class)s_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tier} {self.kind}: {self.price}"


class RecurringService(TenantOwnedModel):
    """An à-la-carte monthly service beside the tiers (e.g. backup monitoring per device)."""

    CHOICE_LABEL = "name"
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(
        _("charged"), max_length=20, choices=ServiceUnit.choices, default=ServiceUnit.PER_DEVICE
    )
    kinds = models.JSONField(
        _("asset kinds"), default=list, blank=True, help_text=_("Per-device services count these kinds.")
    )
    price = MoneyField(_("monthly price"), **MONEY)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("à-la-carte service")
        verbose_name_plural = _("à-la-carte services")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name", "price_currency"], name="%(app_label)s_%(class)s_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("services:update", args=[self.pk])

    def kind_labels(self) -> list[str]:
        return [AssetKind(kind).label for kind in self.kinds if kind in AssetKind.values]


class Contract(TenantOwnedModel):
    """What a client bought: managed service, prepaid hours, or break/fix at a rate."""

    CLIENT_PATH = "client"

    client = models.ForeignKey(
        "msp.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="contracts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ContractKind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    tier = models.ForeignKey(
        ServiceTier,
        verbose_name=_("tier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("Empty: month to month."))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    monthly_fee = MoneyField(_("monthly fee"), null=True, blank=True, **MONEY)
    lines = models.JSONField(_("monthly fee lines"), default=list, blank=True)
    hourly_rate = MoneyField(_("hourly rate"), null=True, blank=True, **MONEY)
    overage_rate = MoneyField(_("overage rate"), null=True, blank=True, **MONEY)
    rounding_minutes = models.PositiveSmallIntegerField(
        _("round up to (minutes)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    minimum_minutes = models.PositiveSmallIntegerField(
        _("minimum per entry (minutes)"), default=0, validators=[MaxValueValidator(480)]
    )
    includes_labour = models.BooleanField(_("labour included"), default=False)
    auto_renew = models.BooleanField(_("auto-renew hour blocks"), default=False)
    # At most a block's limit (contracts.limits): a balance can then never pass PostgreSQL's integer.
    renew_threshold_minutes = models.PositiveIntegerField(
        _("renew below (minutes)"), default=300, validators=[MaxValueValidator(MAX_BLOCK_MINUTES)]
    )
    renew_block_minutes = models.PositiveIntegerField(
        _("renewal block (minutes)"), default=600, validators=[MaxValueValidator(MAX_BLOCK_MINUTES)]
    )
    renew_block_price = MoneyField(_("renewal block price"), null=True, blank=True, **MONEY)
    # Terms the seeds advise: month to month with a notice period, an optional fixed term, and a
    # free trial whose invoices show the value with a 100 % discount (billing reads them).
    notice_days = models.PositiveSmallIntegerField(
        _("notice period (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    term_end = models.DateField(
        _("fixed term until"), null=True, blank=True, help_text=_("Empty: no fixed term, month to month.")
    )
    trial_end = models.DateField(
        _("free trial until"),
        null=True,
        blank=True,
        help_text=_("Monthly fees are shown at their value with a 100 % discount up to this day."),
    )
    trial_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    blocks_need_payment = models.BooleanField(
        _("hour blocks usable once paid"),
        default=False,
        help_text=_("Until a block's invoice is paid, time draws from earlier blocks or becomes overage."),
    )
    # Kept equal to the sum of the ledger by the hours services, under a lock on this row.
    balance_minutes = models.IntegerField(_("balance (minutes)"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client__name", "kind", "-start_date"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [
            models.Index(fields=["tenant", "client", "kind", "status"]),
            # The API's orderings.
            models.Index(fields=["tenant", "start_date", "id"], name="contract_tenant_start"),
            models.Index(fields=["tenant", "created_at", "id"], name="contract_tenant_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(kind=ContractKind.MANAGED, status=ContractStatus.ACTIVE),
                name="%(app_label)s_%(class)s_one_active_managed",
                violation_error_message=_("This client already has an active managed contract."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="%(app_label)s_%(class)s_ends_after_start",
            ),
            # The backstop of contracts.limits: the services keep far inside these.
            models.CheckConstraint(
                condition=Q(renew_threshold_minutes__lte=MAX_BLOCK_MINUTES)
                & Q(renew_block_minutes__lte=MAX_BLOCK_MINUTES),
                name="%(app_label)s_%(class)s_renewal_in_range",
            ),
            models.CheckConstraint(
                condition=Q(balance_minutes__lte=BALANCE_CEILING_MINUTES),
                name="%(app_label)s_%(class)s_balance_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.client} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:detail", args=[self.pk])


class BusinessCalendar(TenantOwnedModel):
    """When SLA clocks run: opening hours per weekday in a time zone, minus holidays; or 24x7.

    `hours` maps a weekday ("0" = Monday) to opening intervals: {"0": [["09:00", "18:00"]]}.
    `holidays` is a list of ISO dates: the country's national holidays are preloaded (from
    the `holidays` package, contracts/calendars.py) and owners add or remove their own.
    """

    CHOICE_LABEL = "name"
    name = models.CharField(_("name"), max_length=100)
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="Europe/Rome"
    )
    always_open = models.BooleanField(_("24x7"), default=False)
    hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    holidays = models.JSONField(_("holidays"), default=list, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("Its national holidays can be loaded per year.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sla:calendar-update", args=[self.pk])


class SlaPolicy(TenantOwnedModel):
    """First-response and resolution targets per priority, with faster ones per asset kind.

    `targets`: {"P1": {"response": 60, "resolution": 240}, ...} in business minutes.
    `kind_overrides`: {"server": {"P1": {"response": 30}}}: only what differs.
    """

    CHOICE_LABEL = "name"
    name = models.CharField(_("name"), max_length=100)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="policies"
    )
    targets = models.JSONField(_("targets"), default=dict)
    kind_overrides = models.JSONField(_("overrides by asset kind"), default=dict, blank=True)
    is_default = models.BooleanField(_("tenant default"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_default=True), name="%(app_label)s_%(class)s_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sla:policy-update", args=[self.pk])

    def target_minutes(self, *, priority: str, asset_kind: str | None, which: str) -> int | None:
        """The target in business minutes for `which` ("response" or "resolution")."""
        override = (self.kind_overrides.get(asset_kind or "", {}) or {}).get(priority, {})
        if which in override:
            return int(override[which])
        value = self.targets.get(priority, {}).get(which)
        return int(value) if value is not None else None


class BlockOrigin(models.TextChoices):
    INITIAL = "initial", _("Initial")
    MANUAL = "manual", _("Manual purchase")
    AUTO_RENEW = "auto_renew", _("Auto-renewal")


class HourBlock(TenantOwnedModel):
    """Prepaid minutes bought for a contract. Its use is in the ledger, never on the block."""

    CLIENT_PATH = "contract__client"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="blocks")
    minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(MAX_BLOCK_MINUTES)]
    )
    price = MoneyField(_("price"), **MONEY)
    origin = models.CharField(_("origin"), max_length=20, choices=BlockOrigin.choices)
    purchased_at = models.DateTimeField(_("purchased at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Billing (downstream) sets these when it invoices the block; contracts/ never imports billing/.
    invoiced_at = models.DateTimeField(_("invoiced at"), null=True, blank=True)
    invoice_ref = models.CharField(_("invoice"), max_length=50, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        ordering = ["contract", "purchased_at", "pk"]
        verbose_name = _("hour block")
        verbose_name_plural = _("hour blocks")
        indexes = [models.Index(fields=["tenant", "invoiced_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0), name="%(app_label)s_%(class)s_minutes_positive"
            ),
            models.CheckConstraint(
                condition=Q(minutes__lte=MAX_BLOCK_MINUTES), name="%(app_label)s_%(class)s_minutes_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes // 60} h {self.minutes % 60:02d} min ({self.get_origin_display()})"


class LedgerKind(models.TextChoices):
    CREDIT = "credit", _("Credit")
    DEBIT = "debit", _("Debit")
    REVERSAL = "reversal", _("Reversal")
    EXPIRY = "expiry", _("Expiry")


class LedgerEntry(TenantOwnedModel):
    """One append-only movement of a contract's prepaid minutes.

    The balance is always the sum of the ledger; `balance_after` records it at each step.
    A row points at its source generically (kind + id) so contracts/ needs no import of
    the apps that draw (a time entry, for now).
    """

    CLIENT_PATH = "contract__client"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="ledger")
    block = models.ForeignKey(
        HourBlock, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LedgerKind.choices)
    minutes = models.IntegerField(_("minutes"))
    balance_after = models.IntegerField(_("balance after"))
    source_kind = models.CharField(max_length=40, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["contract", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["contract", "id"]),
            models.Index(fields=["source_kind", "source_id"]),
            # A contract's minutes bought and used over a window (this month, the last 30 days:
            # the owner's dashboard, issue 12), read from the index alone.
            models.Index(
                fields=["contract", "created_at"],
                include=["tenant", "kind", "minutes"],
                name="ledger_contract_created",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(minutes=0), name="%(app_label)s_%(class)s_minutes_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__lte=BALANCE_CEILING_MINUTES),
                name="%(app_label)s_%(class)s_balance_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.minutes:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The hour ledger is append-only: add a reversal instead of changing a row.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The hour ledger is append-only: add a reversal instead of deleting a row.")


class BalanceWarning(TenantOwnedModel):
    """A low-balance (or auto-renewal) email sent for one block of a contract: one row per
    crossing, so re-draws after an edit never send it again (a unique constraint says so)."""

    LEVEL = "level"
    RENEWED = "renewed"
    REASONS = [(LEVEL, _("Level crossed")), (RENEWED, _("Block auto-renewed"))]

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    block = models.ForeignKey(HourBlock, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=REASONS)
    level = models.PositiveSmallIntegerField(default=0)  # percent of the block used
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "timetracking_balancewarning"  # born in timetracking/: the table kept its name
        constraints = [
            models.UniqueConstraint(
                fields=["block", "reason", "level"], name="timetracking_balancewarning_once_per_crossing"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.level} % of block {self.block_id}"

import hashlib
import secrets
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from msp.models.fiscal import FiscalIdentity
from msp.roles import MANAGER_ROLES, STAFF_ROLES, Role, role_has_perm
from msp.scoping import TenantOwnedModel

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]
CURRENCY_CHOICES = [(code, code) for code in settings.CURRENCIES]

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$",
    _("Use 3 to 50 lowercase letters, digits or hyphens, starting and ending with a letter or digit."),
)


LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def tenant_logo_path(tenant, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"tenants/{tenant.pk or 'new'}/logo-{secrets.token_hex(4)}.{suffix[:5]}"


def validate_logo(file) -> None:
    """A logo is a real image (read by Pillow, not judged by its name), of a web format, small."""
    from PIL import Image, UnidentifiedImageError

    if file.size is not None and file.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo is larger than 1 MB."))
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image.")) from None
    finally:
        file.seek(0)
    if image_format not in LOGO_FORMATS:
        raise ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image."))


class SmtpSecurity(models.TextChoices):
    STARTTLS = "starttls", _("STARTTLS (usually port 587)")
    SSL = "ssl", _("TLS (SMTPS, usually port 465)")
    NONE = "none", _("None (a trusted network only: the password travels in clear)")


# The port a security mode is served on when the tenant names none.
SMTP_DEFAULT_PORTS = {SmtpSecurity.STARTTLS: 587, SmtpSecurity.SSL: 465, SmtpSecurity.NONE: 25}


class User(AbstractUser):
    """A person; what they may see comes from their memberships, never from the user itself."""

    email = models.EmailField(_("email address"))
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty to use your organisation's default language."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIMEZONE_CHOICES,
        blank=True,
        help_text=_("Leave empty to use your organisation's time zone."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class TaxRegime(models.TextChoices):
    """FatturaPA's RegimeFiscale of the seller (the common ones; RF01 is the ordinary regime)."""

    RF01 = "RF01", _("RF01 Ordinary")
    RF02 = "RF02", _("RF02 Minimum taxpayers")
    RF04 = "RF04", _("RF04 Agriculture and fishing")
    RF18 = "RF18", _("RF18 Other")
    RF19 = "RF19", _("RF19 Flat rate (forfettario)")


class Tenant(FiscalIdentity):
    """An MSP: the unit of isolation."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=50, unique=True, validators=[slug_validator])
    default_currency = models.CharField(
        _("default currency"), max_length=3, choices=CURRENCY_CHOICES, default=settings.DEFAULT_CURRENCY
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="Europe/Rome"
    )
    language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("22.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    invoice_prefix = models.CharField(_("invoice number prefix"), max_length=20, blank=True)
    # Its identity on outgoing mail (msp.mail.tenant_from_email) and where unassigned work goes.
    email_from_name = models.CharField(
        _("sender name"),
        max_length=120,
        blank=True,
        help_text=_("Shown as the sender of mail; defaults to the name."),
    )
    email_from_address = models.EmailField(
        _("sender address"),
        blank=True,
        help_text=_("Mail goes out from this address; defaults to the server's."),
    )
    dispatch_email = models.EmailField(
        _("dispatch address"),
        blank=True,
        help_text=_("New client tickets and replies nobody is assigned to are also sent here."),
    )
    # Its own SMTP server (msp.mail.tenant_connection); empty host: the server's (EMAIL_*).
    smtp_host = models.CharField(
        _("SMTP server"),
        max_length=255,
        blank=True,
        help_text=_("Your own mail server for everything sent in your name; empty: the app's."),
    )
    smtp_port = models.PositiveIntegerField(
        _("SMTP port"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("Empty: the usual port of the security chosen (587, 465 or 25)."),
    )
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=SmtpSecurity.choices, default=SmtpSecurity.STARTTLS
    )
    smtp_username = models.CharField(_("SMTP user name"), max_length=255, blank=True)
    smtp_password = models.TextField(blank=True, editable=False)  # msp.secrets.conceal: never shown
    attachment_max_mb = models.PositiveSmallIntegerField(
        _("largest attachment (MB)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(settings.ATTACHMENT_MAX_MB_CEILING)],
        help_text=_("The largest file your team and your clients may attach to a ticket."),
    )
    # Its identity on documents (offers, invoices, reports).
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True, help_text=_("As on invoices; empty: the name above.")
    )
    address = models.TextField(_("address"), blank=True)
    logo = models.ImageField(
        _("logo"),
        upload_to=tenant_logo_path,
        blank=True,
        validators=[validate_logo],
        help_text=_("PNG or JPEG, at most 1 MB; shown at the top of offers and invoices."),
    )
    # What its e-invoices need beyond the shared identity (msp.models.fiscal): how it is paid
    # and its tax regime.
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, help_text=_("Printed on invoices as where to pay."))
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    tax_regime = models.CharField(
        _("tax regime"), max_length=4, choices=TaxRegime.choices, default=TaxRegime.RF01,
        help_text=_("Italy: the RegimeFiscale on FatturaPA invoices."),
    )
    default_hourly_rate = MoneyField(
        _("break/fix hourly rate"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        currency_choices=CURRENCY_CHOICES,
        help_text=_("What work for a client without a contract is billed at."),
    )
    # Monthly client reports (reports/): made on the 1st for the month before; sent at once,
    # or kept as drafts for the MSP to review and send.
    reports_auto_send = models.BooleanField(
        _("send monthly reports automatically"),
        default=True,
        help_text=_(
            "On: each client's report for the month before is e-mailed on the 1st. Off: the reports "
            "wait as drafts for you to review and send."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name

    @property
    def attachment_max_bytes(self) -> int:
        return self.attachment_max_mb * 1024 * 1024

    @property
    def smtp_port_or_default(self) -> int:
        return self.smtp_port or SMTP_DEFAULT_PORTS.get(self.smtp_security, 587)

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as error:
            errors.update(error.message_dict)
        if self.iban:
            from stdnum import iban

            try:
                self.iban = iban.validate(self.iban)
            except Exception:
                errors["iban"] = [_("%(iban)s is not a valid IBAN: check its digits.") % {"iban": self.iban}]
        self.bic = (self.bic or "").replace(" ", "").upper()
        if errors:
            raise ValidationError(errors)

    @property
    def document_name(self) -> str:
        """The name documents carry: the legal name, else the trading name."""
        return self.legal_name or self.name


class Membership(TenantOwnedModel):
    """A user's place in one tenant: their role, and for client contacts, their company."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships", editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    client = models.ForeignKey(
        "msp.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
        help_text=_("Client contacts see only this company."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="%(app_label)s_%(class)s_unique_user"),
            models.CheckConstraint(
                condition=(Q(role=Role.CLIENT) & Q(client__isnull=False))
                | (~Q(role=Role.CLIENT) & Q(client__isnull=True)),
                name="%(app_label)s_%(class)s_client_iff_client_role",
                violation_error_message=_("A client contact belongs to exactly one client; staff to none."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGER_ROLES

    def has_perm(self, permission: str) -> bool:
        return self.is_active and role_has_perm(self.role, permission)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def authenticate(self, key: str):
        return (
            self.select_related("membership__tenant", "membership__user")
            .filter(digest=_digest(key), membership__is_active=True, membership__user__is_active=True)
            .first()
        )


class ApiToken(models.Model):
    """An API key. It belongs to one membership, so it fixes the tenant and the role.

    Only a digest is stored: the key is shown once, when it is created.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.membership})"

    @classmethod
    def issue(cls, membership: Membership) -> tuple["ApiToken", str]:
        key = secrets.token_hex(20)
        token = cls.objects.create(membership=membership, digest=_digest(key), prefix=key[:8])
        return token, key

    @cached_property
    def tenant(self) -> Tenant:
        return self.membership.tenant

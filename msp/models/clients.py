from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from msp import fiscal
from msp.models.fiscal import FiscalIdentity
from msp.models.tenancy import CURRENCY_CHOICES, TIMEZONE_CHOICES
from msp.scoping import TenantOwnedModel


class Client(FiscalIdentity, TenantOwnedModel):
    """A company the MSP serves."""

    CHOICE_LABEL = "name"
    CLIENT_PATH = "pk"

    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default=settings.DEFAULT_CURRENCY
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="Europe/Rome"
    )
    language = models.CharField(
        _("document language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "The language of the offers, documents and e-mails this client receives. "
            "Leave empty to use your organisation's default language."
        ),
    )
    billing_email = models.EmailField(_("billing email"), blank=True)
    # Who the invoices are addressed to, beyond the shared fiscal identity (msp.models.fiscal).
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True, help_text=_("As on invoices; empty: the name above.")
    )
    sdi_code = models.CharField(
        _("Codice Destinatario"),
        max_length=7,
        blank=True,
        help_text=_(
            "Italy: the SdI routing code (7 characters; 6 for a public administration's office). "
            "0000000 with a PEC address, or for a private person."
        ),
    )
    public_administration = models.BooleanField(
        _("public administration"), default=False, help_text=_("Italy: invoiced in the FPA12 format.")
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.UniqueConstraint(Lower("name"), "tenant", name="%(app_label)s_%(class)s_unique_name"),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"]),
            models.Index(fields=["tenant", "created_at", "id"], name="client_tenant_created"),  # API ordering
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("clients:detail", args=[self.pk])

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as error:
            errors.update(error.message_dict)
        try:
            self.sdi_code = fiscal.sdi_code_normalise(self.sdi_code, public_administration=self.public_administration)
        except ValidationError as error:
            errors["sdi_code"] = error.messages
        if errors:
            raise ValidationError(errors)

    @property
    def document_name(self) -> str:
        return self.legal_name or self.name


class Site(TenantOwnedModel):
    """A place where a client has people and machines."""

    CHOICE_LABEL = "name"
    CLIENT_PATH = "client"

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["client__name", "name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(Lower("name"), "client", name="%(app_label)s_%(class)s_unique_name"),
        ]
        indexes = [models.Index(fields=["tenant", "name", "id"], name="site_tenant_name")]  # API ordering

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sites:detail", args=[self.pk])


REPORT_RECIPIENT_NEEDS_EMAIL = _("Give an email address to send the monthly reports to.")


class Contact(TenantOwnedModel):
    """A person at a client; may log into the portal."""

    CHOICE_LABEL = "name"
    CLIENT_PATH = "client"

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="contacts"
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        related_name="contacts",
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    portal_access = models.BooleanField(_("portal access"), default=False)
    receives_reports = models.BooleanField(
        _("receives monthly reports"),
        default=False,
        help_text=_(
            "The client's monthly report is e-mailed to this address (none ticked: the billing email)."
        ),
    )

    class Meta:
        ordering = ["client__name", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["tenant", "email"]),
            models.Index(fields=["tenant", "name", "id"], name="contact_tenant_name"),  # API ordering
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(receives_reports=True, email=""),
                name="%(app_label)s_%(class)s_report_recipient_has_email",
                violation_error_message=REPORT_RECIPIENT_NEEDS_EMAIL,
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("contacts:detail", args=[self.pk])

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from msp.forms.auth import NewAccountForm
from msp.hosts import literal_host_refused
from msp.identity import logo_data_uri
from msp.models import Client, Membership, SmtpSecurity, Tenant, User
from msp.models.tenancy import TIMEZONE_CHOICES
from msp.roles import Role
from msp.secrets import conceal

# A host name or an IP address (IPv6 in brackets or bare): no scheme, path, port or spaces.
SMTP_HOST = re.compile(r"[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?")


class LogoInput(forms.ClearableFileInput):
    """The current logo as a preview (read through the storage API, so it shows whatever the
    storage, without serving media files), a box to remove it, and the upload."""

    template_name = "msp/widgets/logo_input.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        instance = getattr(value, "instance", None)
        context["widget"]["preview"] = logo_data_uri(instance) if self.is_initial(value) and instance else ""
        return context


class TenantSettingsForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = [
            "name",
            "default_currency",
            "timezone",
            "language",
            "tax_rate",
            "invoice_prefix",
            "legal_name",
            "address",
            "vat_number",
            "logo",
            # the fiscal identity e-invoices carry (msp.models.fiscal: checked in Tenant.clean)
            "fiscal_code",
            "street",
            "postcode",
            "city",
            "province",
            "country",
            "pec",
            "tax_regime",
            "iban",
            "bic",
            "default_hourly_rate",
            # mail identity and dispatch (issue 18, notifications)
            "email_from_name",
            "email_from_address",
            "dispatch_email",
            "attachment_max_mb",
            # monthly client reports (issue 12)
            "reports_auto_send",
            # its own SMTP server (issue 13); the password is smtp_password below
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "logo": LogoInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        }

    # Written, never shown: stored with msp.secrets.conceal; empty keeps the stored one.
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        strip=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["smtp_security"].required = False  # absent: STARTTLS, the model's default
        self.fields["smtp_password"].help_text = (
            _(
                "A password is stored, encrypted. Leave this empty to keep it; clear the user name to remove it."
            )
            if self.instance.smtp_password
            else _("Stored encrypted; never shown again.")
        )

    def clean_smtp_security(self):
        return self.cleaned_data.get("smtp_security") or SmtpSecurity.STARTTLS

    def clean_smtp_host(self):
        host = (self.cleaned_data.get("smtp_host") or "").strip()
        if host and not SMTP_HOST.fullmatch(host):
            raise forms.ValidationError(_("Give the server's name or address, e.g. smtp.example.com."))
        if literal_host_refused(host):
            raise forms.ValidationError(
                _("That is a private, loopback or link-local address: the app does not connect there.")
            )
        return host

    def save(self, commit=True):
        tenant = super().save(commit=False)
        password = self.cleaned_data.get("smtp_password")
        if password:
            tenant.smtp_password = conceal(password)
        elif not (tenant.smtp_host and tenant.smtp_username):
            tenant.smtp_password = ""  # no server or no user: no password to keep
        if commit:
            tenant.save()
            self._save_m2m()
        return tenant

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("smtp_host")
            and not cleaned.get("email_from_address")
            and "email_from_address" not in self.errors
        ):
            self.add_error(
                "email_from_address",
                _("Mail sent through your own server goes out from your own address: give it here."),
            )
        rate, currency = cleaned.get("default_hourly_rate"), cleaned.get("default_currency")
        if rate is not None and rate.amount < 0:
            self.add_error("default_hourly_rate", _("A rate cannot be negative."))
        elif rate is not None and currency and str(rate.currency) != currency:
            self.add_error(
                "default_hourly_rate",
                _("Give the rate in the default currency, %(currency)s.") % {"currency": currency},
            )
        return cleaned


class _RoleClientMixin:
    """A client contact needs its client; staff have none."""

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.all()
        if not membership.has_perm("member.grant_owner"):
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.CLIENT and not cleaned.get("client"):
            self.add_error("client", _("Choose the client this contact belongs to."))
        if cleaned.get("role") and cleaned.get("role") != Role.CLIENT:
            cleaned["client"] = None
        return cleaned


class MemberInviteForm(_RoleClientMixin, forms.Form):
    # 254: the longest address the invitation (and a user) can hold (Django's EmailField).
    email = forms.EmailField(label=_("Email"), max_length=254)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        required=False,
        validators=[User.username_validator],
        help_text=_("A suggestion for a new account; the person may choose another when accepting."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.TECHNICIAN)
    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=Client.objects.none(),
        required=False,
        help_text=_("Required for a client contact: the company they belong to."),
    )


class MemberEditForm(_RoleClientMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none(), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class TimeZoneForm(forms.Form):
    """A user's own time zone; empty: their organisation's."""

    timezone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        default = (
            _("Organisation's (%(zone)s)") % {"zone": tenant.timezone} if tenant else _("Organisation's")
        )
        self.fields["timezone"].choices = [("", default), *TIMEZONE_CHOICES]
        self.fields["timezone"].help_text = _("Times are shown, and typed times read, in this zone.")


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        choices=[("", _("Organisation default")), *settings.LANGUAGES], required=False
    )


class InvitationSignupForm(NewAccountForm):
    """The invitee without an account chooses a username and a password on the invitation page."""

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def account_email(self, cleaned: dict) -> str:
        return self.email

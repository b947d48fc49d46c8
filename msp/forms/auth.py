import logging

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from msp.mail import email_queue
from msp.models import Membership, Tenant
from msp.models.tenancy import CURRENCY_CHOICES, TIMEZONE_CHOICES, slug_validator
from msp.throttling import login_blocked, login_failed, login_succeeded

User = get_user_model()
logger = logging.getLogger(__name__)


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-in attempts. Wait a few minutes and try again."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if login_blocked(username, self.request):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failed(username, self.request)
            raise
        login_succeeded(username, self.request)
        return cleaned


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the e-mail goes through the outgoing queue, not SMTP in the request."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        user = context["user"]
        # Recorded under the user's first organisation (its owners see that a reset mail went
        # to their member, never the link); with none there is nothing to sign in to: logged only.
        memberships = Membership.unscoped.filter(user=user).order_by("-is_active", "pk")
        tenant_id = memberships.values_list("tenant_id", flat=True).first()
        if tenant_id is None:
            logger.warning("Password reset for user %s, who belongs to no organisation: not sent", user.pk)
            return
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        email_queue(EmailMessage(subject, body, from_email, [to_email]), tenant_id=tenant_id)


class NewAccountForm(forms.Form):
    """A username and a password twice, for a person creating their account: an MSP signing
    itself up, an invitee without one. ``account_email`` is the address the password is
    checked against (it must not resemble it)."""

    username = forms.CharField(label=_("Username"), max_length=150, validators=[User.username_validator])
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def account_email(self, cleaned: dict) -> str:
        return cleaned.get("email", "")

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This username is taken."), code="taken")
        return username

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            probe = User(username=cleaned.get("username", ""), email=self.account_email(cleaned))
            try:
                password_validation.validate_password(password1, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class SignupForm(NewAccountForm):
    """An MSP signs itself up: the tenant and its owner in one go."""

    field_order = [
        "company_name", "slug", "default_currency", "timezone", "language",
        "username", "email", "password1", "password2",
    ]  # fmt: skip

    company_name = forms.CharField(label=_("Company name"), max_length=120)
    slug = forms.CharField(
        label=_("Short name"),
        max_length=50,
        validators=[slug_validator],
        help_text=_("Lowercase letters, digits and hyphens; identifies your organisation, e.g. in the API."),
    )
    default_currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="EUR")
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES, initial="Europe/Rome")
    language = forms.ChoiceField(label=_("Language"), choices=Tenant._meta.get_field("language").choices)
    username = forms.CharField(label=_("Your username"), max_length=150, validators=[User.username_validator])
    email = forms.EmailField(label=_("Your email"))

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        if Tenant.objects.filter(slug=slug).exists():
            raise ValidationError(_("This short name is already taken: choose another."), code="taken")
        return slug

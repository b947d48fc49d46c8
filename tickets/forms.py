from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assets.selectors import asset_choices
from msp.forms.base import TenantModelForm
from msp.roles import STAFF_ROLES
from tickets.attachments import attachments_check
from tickets.choices import TicketStatus, can_move, move_refusal, status_options
from tickets.files import allowed_extensions
from tickets.models import Ticket


def staff_users(tenant):
    return (
        get_user_model()
        .objects.filter(
            memberships__tenant=tenant, memberships__role__in=STAFF_ROLES, memberships__is_active=True
        )
        .order_by("username")
        .distinct()
    )


class TicketForm(TenantModelForm):
    class Meta:
        model = Ticket
        fields = [
            "client",
            "contact",
            "asset",
            "contract",
            "subject",
            "description",
            "priority",
            "source",
            "assignee",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, tenant, can_change_contract=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users(tenant)
        self.fields["contract"].help_text = _(
            "Leave empty to use the default: the prepaid contract with hours left, else the managed one, "
            "else break/fix."
        )
        if self.instance.pk:
            self.fields["client"].disabled = True
            if not can_change_contract:
                self.fields["contract"].disabled = True
                self.fields["contract"].help_text = _(
                    "Time on this ticket was invoiced: the contract is fixed."
                )
        else:
            self.fields["contract"].required = False
        self._follow_client()

    def chosen_client_id(self) -> int | None:
        """The client the form is for: the ticket's, else the one posted, else the initial one."""
        if self.instance.pk:
            return self.instance.client_id
        value = self.data.get("client") if self.is_bound else self.initial.get("client")
        value = getattr(value, "pk", value)
        return int(value) if str(value or "").isdigit() else None

    def _follow_client(self) -> None:
        """Contact, asset and contract are the chosen client's: no client, no choices (the page
        reloads them when the client changes). The asset list is capped; a search narrows it."""
        client_id = self.chosen_client_id()
        if not self.instance.pk:
            self.fields["client"].widget.attrs.update(
                {
                    "hx-get": reverse("tickets:client-fields"),
                    "hx-trigger": "change",
                    "hx-target": "#ticket-client-fields",
                    "hx-swap": "innerHTML",
                }
            )
        for name in ("contact", "asset", "contract"):
            field = self.fields[name]
            field.queryset = (
                field.queryset.filter(client_id=client_id) if client_id else field.queryset.none()
            )
        chosen = (
            self.data.get("asset") if self.is_bound else self.initial.get("asset", self.instance.asset_id)
        )
        chosen = getattr(chosen, "pk", chosen)
        keep = int(chosen) if str(chosen or "").isdigit() else None
        field = self.fields["asset"]
        field.widget.choices = [
            ("", field.empty_label),
            *asset_choices(client_id=client_id, search="", keep_pk=keep),
        ]
        field.widget.attrs["data-testid"] = "asset-select"

    def clean(self):
        data = super().clean()
        client = data.get("client") or (self.instance.client if self.instance.pk else None)
        if client is None:
            return data
        for field, message in (
            ("contact", _("This contact is not one of the client's.")),
            ("asset", _("This asset is not one of the client's.")),
            ("contract", _("This contract is not one of the client's.")),
        ):
            obj = data.get(field)
            if obj is not None and obj.client_id != client.pk:
                self.add_error(field, message)
        return data


class StatusForm(forms.Form):
    """A ticket's status: it offers the current one and the moves the map allows from it, and
    refuses any other with the map's reason."""

    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        field = self.fields["status"]
        field.initial = current
        # Offered: the allowed moves only. Any known status still validates as a choice, so a
        # refused move is told the map's reason, not "not one of the available choices".
        field.widget.choices = status_options(current)

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status != self.current and not can_move(self.current, status):
            raise ValidationError(move_refusal(self.current, status))
        return status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files (none by default): a list of uploads. The form judges them against
    its tenant's limits (``AttachmentsFormMixin``)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attach files"))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ",".join(f".{ext}" for ext in allowed_extensions()))

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(AttachmentsField, self).clean(f, initial) for f in files]


class AttachmentsFormMixin:
    """A ``files`` field judged (size cap, kind of file) against the tenant's settings, so a
    refused file is an error beside the field and nothing is written."""

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if tenant is None:
            self.fields.pop("files", None)
            return
        self.fields["files"].help_text = _(
            "Screenshots, logs, PDFs, documents or archives, up to %(max)d MB each."
        ) % {"max": tenant.attachment_max_mb}

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        attachments_check(files, tenant=self.tenant)
        return files


class ReplyForm(AttachmentsFormMixin, forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    public = forms.TypedChoiceField(
        label=_("Visibility"),
        choices=[("1", _("Public reply (the contact sees it)")), ("0", _("Internal note (staff only)"))],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    files = AttachmentsField()

    def __init__(self, *args, can_note=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_note:
            del self.fields["public"]

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError(_("Write a message."))
        return body


class PortalTicketForm(AttachmentsFormMixin, TenantModelForm):
    files = AttachmentsField()

    class Meta:
        model = Ticket
        fields = ["subject", "description", "priority", "asset"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

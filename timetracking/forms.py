from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from msp.forms.base import TenantFormMixin, TenantModelForm
from tickets.choices import OPEN_STATUSES
from tickets.models import QUEUE_ORDER, Ticket
from timetracking.models import WorkType


class TicketChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} · {obj.client.name}"


class TimeEntryForm(TenantFormMixin, forms.Form):
    """Minutes, or a start and an end; the service checks the rest (and says why)."""

    ticket = TicketChoiceField(label=_("Ticket"), queryset=Ticket.objects.none())
    minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=1, max_value=24 * 60)
    started_at = forms.DateTimeField(
        label=_("Start"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ended_at = forms.DateTimeField(
        label=_("End"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    work_type = forms.ModelChoiceField(label=_("Work type"), queryset=WorkType.objects.none(), required=False)
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        tickets = Ticket.objects.select_related("client")
        if not self.is_bound:
            # The dropdown offers 200 open tickets in queue order (read from the queue's index);
            # any ticket in scope validates.
            tickets = (
                tickets.filter(status__in=OPEN_STATUSES)
                .order_by(*QUEUE_ORDER)
                .only("subject", "client__name", "status", "sla_state", "sla_breach_at", "priority")[:200]
            )
        self.fields["ticket"].queryset = tickets
        if ticket is not None:
            self.fields["ticket"].initial = ticket.pk
            self.fields["ticket"].widget = forms.HiddenInput()
            self.fields["ticket"].queryset = Ticket.objects.select_related("client").filter(pk=ticket.pk)
        if not self.is_bound and "work_type" not in self.initial:
            default = next((w for w in self.fields["work_type"].queryset if w.is_default), None)
            self.fields["work_type"].initial = default.pk if default else None

    def clean(self):
        data = super().clean()
        has_minutes = data.get("minutes") is not None
        has_span = bool(data.get("started_at") or data.get("ended_at"))
        if has_minutes and has_span:
            raise ValidationError(_("Give either a number of minutes or a start and an end, not both."))
        if not has_minutes and not has_span and not self.errors:
            raise ValidationError(_("Give a number of minutes, or a start and an end."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "work_type": data["work_type"],
            "billable": data["billable"],
            "note": data["note"],
        }
        if data.get("minutes") is not None:
            kwargs["minutes"] = data["minutes"]
        else:
            kwargs["started_at"] = data.get("started_at")
            kwargs["ended_at"] = data.get("ended_at")
        return kwargs


class WorkTypeForm(TenantModelForm):
    class Meta:
        model = WorkType
        fields = ["name", "rate_factor", "is_default"]

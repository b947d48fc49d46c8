from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from msp.forms.base import TenantFormMixin, TenantModelForm
from tickets.choices import OPEN_STATUSES
from tickets.models import QUEUE_ORDER, Ticket
from timetracking.models import WorkType

TICKET_CHOICES = 100  # open tickets offered in the dropdown; any ticket in scope validates


class TimeEntryForm(TenantFormMixin, forms.Form):
    """Minutes, or a start and an end; the service checks the rest (and says why)."""

    ticket = forms.ModelChoiceField(label=_("Ticket"), queryset=Ticket.objects.none())
    minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=1, max_value=24 * 60)
    started_at = forms.DateTimeField(
        label=_("Start"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ended_at = forms.DateTimeField(
        label=_("End"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    work_type = forms.ModelChoiceField(label=_("Work type"), queryset=WorkType.objects.none(), required=False)
    billable = forms.BooleanField(label=_("Billable"), required=False, initial=True)
    onsite = forms.BooleanField(
        label=_("On-site visit"), required=False, help_text=_("A call-out fee is billed for the visit.")
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, ticket=None, technician=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.technician = technician
        field = self.fields["ticket"]
        field.queryset = Ticket.objects.select_related("client")  # any ticket in scope validates
        if ticket is not None:
            field.initial = ticket.pk
            field.widget = forms.HiddenInput()
            field.queryset = field.queryset.filter(pk=ticket.pk)
        else:
            # The dropdown offers the technician's open tickets, most urgent first (else the
            # queue's), plus the ticket already chosen (an entry being edited may be closed).
            field.widget.choices = self._ticket_choices  # a callable: queried only if rendered
        if not self.is_bound:
            # One query for the dropdown and its default (a ModelChoiceField would query again
            # to render); a bound form validates against the field's queryset as usual.
            field = self.fields["work_type"]
            work_types = list(field.queryset)
            field.widget.choices = [("", field.empty_label), *((w.pk, str(w)) for w in work_types)]
            if "work_type" not in self.initial:
                field.initial = next((w.pk for w in work_types if w.is_default), None)

    def _ticket_choices(self) -> list[tuple]:
        if hasattr(self, "_ticket_choice_list"):  # asked twice: the required check, the options
            return self._ticket_choice_list
        queue = Ticket.objects.filter(status__in=OPEN_STATUSES).order_by(*QUEUE_ORDER)
        fields = ("pk", "subject", "client__name")
        open_tickets = []
        if self.technician is not None:
            open_tickets = list(queue.filter(assignee=self.technician).values_list(*fields)[:TICKET_CHOICES])
        if not open_tickets:
            open_tickets = list(queue.values_list(*fields)[:TICKET_CHOICES])
        chosen = str(self.data.get("ticket") if self.is_bound else self.initial.get("ticket") or "")
        if chosen.isdigit() and all(str(pk) != chosen for pk, _subject, _client in open_tickets):
            open_tickets[:0] = Ticket.objects.filter(pk=int(chosen)).values_list(
                "pk", "subject", "client__name"
            )
        self._ticket_choice_list = [
            ("", self.fields["ticket"].empty_label),
            *((pk, f"#{pk} {subject} · {client}") for pk, subject, client in open_tickets),
        ]
        return self._ticket_choice_list

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
            "onsite": data.get("onsite", False),
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

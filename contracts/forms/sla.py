"""SLA calendars and policies in the browser: business hours per weekday as text
("09:00-13:00, 14:00-18:00"), holidays one date a line, targets in a grid per priority and
asset kind. The forms turn them into the JSON the SLA engine reads (contracts.models)."""

from __future__ import annotations

import re
from datetime import date, datetime

from django import forms
from django.utils import formats
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.choices import AssetKind
from contracts.calendars import national_holidays, supported_countries
from contracts.forms.base import FieldGroup
from contracts.models import BusinessCalendar, ServiceTier, SlaPolicy
from msp.forms.base import TenantModelForm
from msp.forms.widgets import QuickSelect

PRIORITIES = ("P1", "P2", "P3", "P4")
WHICH = (("response", gettext_lazy("first response")), ("resolution", gettext_lazy("resolution")))
INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
MAX_TARGET = 60 * 24 * 90  # 90 days of business minutes


def _hhmm(hours: int, minutes: int) -> str:
    return f"{hours:02d}:{minutes:02d}"


def parse_intervals(text: str) -> list[list[str]]:
    """ "09:00-13:00, 14:00-18:00" -> [["09:00", "13:00"], ["14:00", "18:00"]]; "" -> []."""
    intervals = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", text or ""))):
        match = INTERVAL.match(part)
        if not match:
            raise forms.ValidationError(_("Write opening hours as 09:00-18:00, several separated by commas."))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise forms.ValidationError(_("%(text)s is not a time of day.") % {"text": part})
        start, end = _hhmm(h1, m1), _hhmm(h2, m2)
        if end <= start:
            raise forms.ValidationError(_("%(text)s ends before it starts.") % {"text": part})
        if intervals and start < intervals[-1][1]:
            raise forms.ValidationError(_("Opening hours must be in order and not overlap."))
        intervals.append([start, end])
    return intervals


def intervals_text(intervals) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals or ())


def parse_holidays(text: str) -> list[str]:
    """One date a line (ISO, or the active language's date format), anything after it a note."""
    days = set()
    for line in filter(None, (raw.strip() for raw in (text or "").splitlines())):
        token = line.split()[0]
        day = None
        for fmt in ["%Y-%m-%d", *formats.get_format("DATE_INPUT_FORMATS")]:
            try:
                day = datetime.strptime(token, fmt).date()
                break
            except ValueError:
                continue
        if day is None:
            raise forms.ValidationError(_("%(text)s is not a date (write 2026-12-08).") % {"text": token})
        days.add(day.isoformat())
    return sorted(days)


def holidays_text(calendar: BusinessCalendar) -> str:
    """The calendar's holidays a line each, the national ones named (the name is a note)."""
    days = list(calendar.holidays or ())
    years = sorted({int(day[:4]) for day in days})
    names = national_holidays(calendar.country, years) if calendar.country and years else {}
    return "\n".join(
        f"{day} {names[date.fromisoformat(day)]}" if date.fromisoformat(day) in names else day for day in days
    )


class BusinessCalendarForm(TenantModelForm):
    holidays_text = forms.CharField(
        label=gettext_lazy("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "One date a line (2026-12-08), a note after it if you like; the clock does not run on these days."
        ),
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "timezone", "country", "always_open"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"] = forms.ChoiceField(
            label=_("Country"),
            required=False,
            choices=[("", _("None"))] + supported_countries(),
            help_text=_(
                "Its national holidays are added for this year and the next when the calendar is created."
            ),
        )
        self.fields["country"].widget = QuickSelect(choices=self.fields["country"].choices)
        hours = self.instance.hours or {}
        for day, name in WEEKDAYS.items():
            key = f"hours_{day}"
            self.fields[key] = forms.CharField(
                label=name,
                required=False,
                initial=intervals_text(hours.get(str(day))),
                widget=forms.TextInput(attrs={"placeholder": "09:00-18:00", "class": "hours-input"}),
            )
        self.fields["holidays_text"].initial = holidays_text(self.instance)
        self.groups = [
            FieldGroup(self, _("Calendar"), ["name", "timezone", "country", "always_open"], key="calendar"),
            FieldGroup(self, _("Business hours"), [f"hours_{day}" for day in WEEKDAYS], key="hours"),
            FieldGroup(self, _("Holidays"), ["holidays_text"], key="holidays"),
        ]

    def clean(self):
        cleaned = super().clean()
        hours = {}
        for day in WEEKDAYS:
            key = f"hours_{day}"
            try:
                intervals = parse_intervals(cleaned.get(key, ""))
            except forms.ValidationError as exc:
                self.add_error(key, exc)
                continue
            if intervals:
                hours[str(day)] = intervals
        try:
            cleaned["holidays"] = parse_holidays(cleaned.get("holidays_text", ""))
        except forms.ValidationError as exc:
            self.add_error("holidays_text", exc)
        if not self.errors and not cleaned.get("always_open") and not hours:
            self.add_error(None, _("Give the calendar opening hours on at least one day, or make it 24x7."))
        cleaned["hours"] = hours
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if "hours" in self.cleaned_data:
            self.instance.hours = self.cleaned_data["hours"]
        if "holidays" in self.cleaned_data:
            self.instance.holidays = self.cleaned_data["holidays"]


class HolidayLoadForm(forms.Form):
    country = forms.ChoiceField(label=gettext_lazy("Country"))
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = supported_countries()
        self.fields["year"].initial = date.today().year


def target_key(kind: str, priority: str, which: str) -> str:
    return f"{kind or 'all'}_{priority}_{which}"


class SlaPolicyForm(TenantModelForm):
    tiers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Service tiers using this policy"),
        queryset=ServiceTier.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SlaPolicy
        fields = ["name", "calendar", "is_default"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tiers"].queryset = ServiceTier.objects.order_by("position", "name")
        if self.instance.pk:
            self.fields["tiers"].initial = [t.pk for t in self.instance.tiers.all()]
        targets, overrides = self.instance.targets or {}, self.instance.kind_overrides or {}
        self.target_rows = []  # (priority, [field, field]) for the main grid
        for priority in PRIORITIES:
            row = []
            for which, label in WHICH:
                key = target_key("", priority, which)
                self.fields[key] = forms.IntegerField(
                    label=f"{priority} {label}",
                    required=False,
                    min_value=1,
                    max_value=MAX_TARGET,
                    initial=(targets.get(priority) or {}).get(which),
                    widget=forms.NumberInput(attrs={"class": "target-input", "inputmode": "numeric"}),
                )
                row.append(self[key])
            self.target_rows.append((priority, row))
        self.kind_rows = []  # (kind, label, [(priority, [field, field])], open)
        for kind, kind_label in AssetKind.choices:
            priorities = []
            for priority in PRIORITIES:
                row = []
                for which, label in WHICH:
                    key = target_key(kind, priority, which)
                    self.fields[key] = forms.IntegerField(
                        label=f"{kind_label} {priority} {label}",
                        required=False,
                        min_value=1,
                        max_value=MAX_TARGET,
                        initial=((overrides.get(kind) or {}).get(priority) or {}).get(which),
                        widget=forms.NumberInput(attrs={"class": "target-input", "inputmode": "numeric"}),
                    )
                    row.append(self[key])
                priorities.append((priority, row))
            self.kind_rows.append(
                (kind, kind_label, priorities, bool(overrides.get(kind)) or bool(self.errors))
            )
        self.main_group = FieldGroup(
            self, _("Policy"), ["name", "calendar", "is_default", "tiers"], key="policy"
        )

    def clean(self):
        cleaned = super().clean()
        targets, overrides = {}, {}
        for priority in PRIORITIES:
            values = {
                which: cleaned.get(target_key("", priority, which))
                for which, _label in WHICH
                if cleaned.get(target_key("", priority, which))
            }
            if values:
                targets[priority] = values
            for kind in AssetKind.values:
                values = {
                    which: cleaned.get(target_key(kind, priority, which))
                    for which, _label in WHICH
                    if cleaned.get(target_key(kind, priority, which))
                }
                if values:
                    overrides.setdefault(kind, {})[priority] = values
        if not self.errors and not targets and not overrides:
            self.add_error(None, _("Give at least one target."))
        cleaned["targets"], cleaned["kind_overrides"] = targets, overrides
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if "targets" in self.cleaned_data:
            self.instance.targets = self.cleaned_data["targets"]
            self.instance.kind_overrides = self.cleaned_data["kind_overrides"]

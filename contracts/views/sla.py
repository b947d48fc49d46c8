"""SLA calendars and policies in the browser, for owners and admins: business hours per
weekday, holidays (a country's national ones loaded per year), targets per priority, asset
kind and tier. Saving goes through contracts.services.sla, which has the open tickets'
SLA clocks recomputed when due times move."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from contracts.forms.sla import BusinessCalendarForm, HolidayLoadForm, SlaPolicyForm
from contracts.models import BusinessCalendar, ServiceTier, SlaPolicy
from contracts.services import business_calendar_load_holidays, business_calendar_save, sla_policy_save
from msp.views.base import MemberRequiredMixin, TenantCreateView, TenantListView, TenantUpdateView


class SlaSettingsView(TenantListView):
    """The tenant's calendars and policies on one page (policies name their calendar and tiers)."""

    model = BusinessCalendar
    template_name = "contracts/sla/list.html"
    paginate_by = None

    def get_queryset(self):
        return BusinessCalendar.objects.order_by("name", "pk")

    def get_context_data(self, **kwargs):
        membership = self.request.membership
        policies = list(SlaPolicy.objects.select_related("calendar").order_by("-is_default", "name", "pk"))
        tiers_by_policy: dict[int, list[str]] = {}
        for policy_id, name in ServiceTier.objects.filter(sla_policy__isnull=False).values_list(
            "sla_policy_id", "name"
        ):
            tiers_by_policy.setdefault(policy_id, []).append(name)
        for policy in policies:
            policy.tier_names = tiers_by_policy.get(policy.pk, [])
        return super().get_context_data(
            policies=policies,
            can_add_policy=membership.has_perm("slapolicy.add"),
            can_change_policy=membership.has_perm("slapolicy.change"),
            **kwargs,
        )


class CalendarFormMixin:
    model = BusinessCalendar
    form_class = BusinessCalendarForm
    template_name = "contracts/sla/calendar_form.html"

    def get_success_url(self) -> str:
        return reverse("sla:list")

    def get_cancel_url(self) -> str:
        return reverse("sla:list")

    def save(self, form) -> BusinessCalendar:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your changes to %(name)s were saved.") % {"name": self.object})
        return redirect(self.get_success_url())


class BusinessCalendarCreateView(CalendarFormMixin, TenantCreateView):
    def save(self, form):
        form.instance.tenant = self.request.membership.tenant
        return business_calendar_save(calendar=form.instance, preload=True)


class BusinessCalendarUpdateView(CalendarFormMixin, TenantUpdateView):
    def get_context_data(self, **kwargs):
        calendar = self.object
        kwargs.setdefault("cancel_url", reverse("sla:list"))
        kwargs["holiday_form"] = HolidayLoadForm(initial={"country": calendar.country or None})
        return super().get_context_data(**kwargs)

    def save(self, form):
        return business_calendar_save(calendar=form.instance)


class BusinessCalendarHolidaysView(MemberRequiredMixin, View):
    """Load a country's national holidays of one year into a calendar."""

    permission_required = "businesscalendar.change"
    model = BusinessCalendar

    def post(self, request, pk):
        calendar = get_object_or_404(BusinessCalendar.objects.all(), pk=pk)
        form = HolidayLoadForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
            return redirect(calendar)
        try:
            added = business_calendar_load_holidays(
                calendar=calendar, country=form.cleaned_data["country"], year=form.cleaned_data["year"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(count)d holidays of %(year)d added to %(name)s.")
                % {"count": added, "year": form.cleaned_data["year"], "name": calendar},
            )
        return redirect(calendar)


class PolicyFormMixin:
    model = SlaPolicy
    form_class = SlaPolicyForm
    template_name = "contracts/sla/policy_form.html"

    def get_cancel_url(self) -> str:
        return reverse("sla:list")

    def form_valid(self, form):
        if form.instance._state.adding:
            form.instance.tenant = self.request.membership.tenant
        try:
            self.object = sla_policy_save(policy=form.instance, tiers=form.cleaned_data["tiers"])
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your changes to %(name)s were saved.") % {"name": self.object})
        return redirect("sla:list")


class SlaPolicyCreateView(PolicyFormMixin, TenantCreateView):
    pass


class SlaPolicyUpdateView(PolicyFormMixin, TenantUpdateView):
    def get_context_data(self, **kwargs):
        kwargs.setdefault("cancel_url", reverse("sla:list"))
        return super().get_context_data(**kwargs)

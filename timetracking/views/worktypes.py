from django.db import transaction
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from msp.views.base import TenantCreateView, TenantDeleteView, TenantListView, TenantUpdateView
from timetracking.forms import WorkTypeForm
from timetracking.models import WorkType


class WorkTypeListView(TenantListView):
    model = WorkType
    template_name = "timetracking/worktypes/list.html"

    def get_queryset(self):
        return WorkType.objects.order_by("name", "pk")


class WorkTypeFormMixin:
    model = WorkType
    form_class = WorkTypeForm
    template_name = "msp/form.html"
    success_url = reverse_lazy("timesheet:worktypes")

    def get_cancel_url(self):
        return reverse("timesheet:worktypes")

    def form_valid(self, form):
        name = form.cleaned_data["name"]
        others = WorkType.objects.filter(name__iexact=name)
        if form.instance.pk:
            others = others.exclude(pk=form.instance.pk)
        if others.exists():
            form.add_error("name", _("A work type with this name already exists."))
            return self.form_invalid(form)
        with transaction.atomic():
            if form.cleaned_data["is_default"]:
                WorkType.objects.exclude(pk=form.instance.pk).update(is_default=False)
            return super().form_valid(form)


class WorkTypeCreateView(WorkTypeFormMixin, TenantCreateView):
    pass


class WorkTypeUpdateView(WorkTypeFormMixin, TenantUpdateView):
    def get_context_data(self, **kwargs):
        kwargs.setdefault("cancel_url", self.get_cancel_url())
        return super().get_context_data(**kwargs)

    def get_success_url(self):
        return reverse("timesheet:worktypes")


class WorkTypeDeleteView(TenantDeleteView):
    model = WorkType
    success_url = reverse_lazy("timesheet:worktypes")

"""Base classes of every browser view that shows tenant data.

They require a signed-in member with the view's permission; the querysets they use are
already scoped to the member's tenant (and client) by the models' default manager.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic


class MemberRequiredMixin(LoginRequiredMixin):
    permission_required: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.membership is None:
            return redirect("no_tenant")
        if self.permission_required and not request.membership.has_perm(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def has_perm(self, permission: str) -> bool:
        return self.request.membership.has_perm(permission)


class ResourceMixin(MemberRequiredMixin):
    """Derives the permission from the model's resource name and the view's action."""

    action = "view"
    paginate_by = 25

    def get_permission_resource(self) -> str:
        return self.model._meta.model_name

    def dispatch(self, request, *args, **kwargs):
        self.permission_required = f"{self.get_permission_resource()}.{self.action}"
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        resource = self.get_permission_resource()
        membership = self.request.membership
        kwargs.setdefault("can_add", membership.has_perm(f"{resource}.add"))
        kwargs.setdefault("can_change", membership.has_perm(f"{resource}.change"))
        kwargs.setdefault("can_delete", membership.has_perm(f"{resource}.delete"))
        return super().get_context_data(**kwargs)


class HtmxPartialMixin:
    """An htmx request (live search, filters) gets only `partial_template_name`, the table."""

    partial_template_name: str | None = None

    def get_template_names(self):
        if self.partial_template_name and self.request.htmx and not self.request.htmx.boosted:
            return [self.partial_template_name]
        return super().get_template_names()


class TenantListView(HtmxPartialMixin, ResourceMixin, generic.ListView):
    pass


class TenantDetailView(ResourceMixin, generic.DetailView):
    pass


class TenantCreateView(ResourceMixin, generic.CreateView):
    action = "add"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", _("New %(kind)s") % {"kind": self.model._meta.verbose_name})
        parent = context.get("parent")
        context.setdefault("cancel_url", parent.get_absolute_url() if parent else self.get_cancel_url())
        return context

    def get_cancel_url(self) -> str:
        return reverse("dashboard")

    def form_valid(self, form):
        form.instance.tenant = self.request.membership.tenant
        response = super().form_valid(form)
        messages.success(self.request, _("%(name)s was created.") % {"name": self.object})
        return response


class TenantUpdateView(ResourceMixin, generic.UpdateView):
    action = "change"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Edit %(name)s") % {"name": self.object})
        kwargs.setdefault("cancel_url", self.object.get_absolute_url())
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your changes to %(name)s were saved.") % {"name": self.object})
        return response


def protected_summary(exc: ProtectedError | RestrictedError) -> str:
    """What blocks a delete, e.g. "2 contracts", from Django's ProtectedError/RestrictedError."""
    rows = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    counts: dict = {}
    for row in rows:
        counts[type(row)] = counts.get(type(row), 0) + 1
    return ", ".join(
        f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"
        for model, n in counts.items()
    )


class TenantDeleteView(ResourceMixin, generic.DeleteView):
    action = "delete"
    template_name = "msp/confirm_delete.html"

    def form_valid(self, form):
        name = str(self.object)
        try:
            with transaction.atomic():
                response = super().form_valid(form)
        except (ProtectedError, RestrictedError) as exc:
            # Rows of other apps protect this one (a client's contracts, say): refuse clearly.
            messages.error(
                self.request,
                _("%(name)s cannot be deleted while other records depend on it (%(what)s).")
                % {"name": name, "what": protected_summary(exc)},
            )
            return redirect(self.object.get_absolute_url())
        messages.success(self.request, _("%(name)s was deleted.") % {"name": name})
        return response

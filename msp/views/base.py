"""Base classes of every browser view that shows tenant data.

They require a signed-in member with the view's permission; the querysets they use are
already scoped to the member's tenant (and client) by the models' default manager.
Deny by default, as the API does (msp.api.permissions.HasRolePermission): a view that names
no permission is refused to everyone, owners included. tests/test_view_permissions.py walks
every URL of the project and fails on a view that names none.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import generic

from msp.views.once import OnceOnlyMixin

# A function view for any signed-in user, member of a tenant or not (see any_signed_in_user).
SIGNED_IN = "signed-in"


def any_signed_in_user(view):
    """Mark (and guard) a function view that any signed-in user may use, with or without a
    membership: switching tenant, the language, the no-organisation page. Explicit, because
    every other view names a permission (msp/roles.py)."""
    view = login_required(view)
    view.access = SIGNED_IN
    return view


class MemberRequiredMixin(LoginRequiredMixin):
    """A signed-in member of a tenant who holds the view's permission.

    `permission_required` names one permission of msp/roles.py, or a tuple of them that are
    all needed (a staff page's and the action's, say); `ANY_MEMBER` for a page every member
    may see. A permission that depends on the request (its HTTP method, say) comes from an
    override of `get_permission_required()`. A view naming none answers 403 to everyone.
    """

    permission_required: str | tuple[str, ...] | None = None

    def get_permission_required(self) -> tuple[str, ...]:
        """The permissions the request needs, all of them; empty means it names none."""
        permission = self.permission_required
        if permission is None:
            return ()
        return (permission,) if isinstance(permission, str) else tuple(permission)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.membership is None:
            return redirect("no_tenant")
        permissions = self.get_permission_required()
        if not permissions or not all(request.membership.has_perm(p) for p in permissions):
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

    def get_permission_required(self) -> tuple[str, ...]:
        """`<resource>.<action>`, unless the view names its permissions outright."""
        if self.permission_required is not None:
            return super().get_permission_required()
        return (f"{self.get_permission_resource()}.{self.action}",)

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


class TenantCreateView(ResourceMixin, OnceOnlyMixin, generic.CreateView):
    """A create form, saved once per one-time token (Back then Save shows what it created)."""

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
    # The form (POST) deletes through the view's service; Django's HTTP DELETE would skip it.
    http_method_names = ["get", "post", "head", "options"]

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

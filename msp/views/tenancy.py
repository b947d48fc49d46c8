from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView, UpdateView

from msp.forms.tenancy import LanguageForm, MemberEditForm, MemberInviteForm, TenantSettingsForm, TimeZoneForm
from msp.invitations import invitation_create
from msp.mail import smtp_test
from msp.middleware import SESSION_TENANT_KEY
from msp.models import Invitation, Membership
from msp.models.invitations import OPEN
from msp.services import MemberSaved, member_remove, member_update, tenant_switch
from msp.views.base import MemberRequiredMixin, any_signed_in_user
from msp.views.once import OnceOnlyMixin


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@any_signed_in_user
def no_tenant(request):
    if request.membership is not None:
        return redirect("dashboard")
    return render(request, "msp/no_tenant.html")


@any_signed_in_user
@require_POST
def tenant_switch_view(request):
    membership = tenant_switch(
        request=request, slug=request.POST.get("tenant", ""), session_key=SESSION_TENANT_KEY
    )
    if membership is None:
        messages.error(request, _("You are not a member of that organisation."))
        return redirect("dashboard")
    messages.success(request, _("You are now working in %(tenant)s.") % {"tenant": membership.tenant.name})
    # The page we came from may belong to the other tenant: start from its dashboard, unless
    # the switch was asked for to open a page there (the "not in this organisation" page).
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("dashboard")


@any_signed_in_user
@require_POST
def account_language(request):
    form = LanguageForm(request.POST)
    if form.is_valid():
        request.user.language = form.cleaned_data["language"]
        request.user.save(update_fields=["language"])
    return redirect(_next_url(request, reverse_lazy("dashboard")))


@any_signed_in_user
def account_time_zone(request):
    """The user's own time zone (empty: their organisation's), for every page they open."""
    membership = getattr(request, "membership", None)
    tenant = membership.tenant if membership is not None else None
    form = TimeZoneForm(request.POST or None, initial={"timezone": request.user.timezone}, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        request.user.timezone = form.cleaned_data["timezone"]
        request.user.save(update_fields=["timezone"])
        messages.success(request, _("Your time zone is saved."))
        return redirect("dashboard")
    context = {"form": form, "title": _("Your time zone"), "cancel_url": reverse_lazy("dashboard")}
    return render(request, "msp/form.html", context, status=400 if form.errors else 200)


class TenantSettingsView(MemberRequiredMixin, UpdateView):
    permission_required = "tenant.change"
    form_class = TenantSettingsForm
    template_name = "msp/tenant_settings.html"
    success_url = reverse_lazy("tenant_settings")

    def get_object(self, queryset=None):
        return self.request.membership.tenant

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Organisation settings"), cancel_url=reverse_lazy("dashboard"), **kwargs
        )

    def form_valid(self, form):
        messages.success(self.request, _("Settings saved."))
        return super().form_valid(form)


class TenantSmtpTestView(MemberRequiredMixin, View):
    """ "Send test e-mail": through the organisation's mail server as saved, to the member
    pressing it, and what the server answered (msp.mail.smtp_test)."""

    permission_required = "tenant.change"
    http_method_names = ["post"]

    def post(self, request):
        target = reverse("tenant_settings") + "#mail-server"
        address = request.user.email
        if not address:
            messages.error(request, _("Your account has no e-mail address to send the test to."))
            return redirect(target)
        result = smtp_test(tenant=request.membership.tenant, to=address)
        names = {"address": address, "answer": result.answer}
        if result.ok:
            messages.success(
                request, _("Test e-mail sent to %(address)s. The server answered: %(answer)s") % names
            )
        else:
            messages.error(
                request, _("The test e-mail to %(address)s was not sent. The answer: %(answer)s") % names
            )
        return redirect(target)


class MemberListView(MemberRequiredMixin, TemplateView):
    permission_required = "member.view"
    template_name = "msp/members/list.html"

    def get_context_data(self, **kwargs):
        members = Membership.objects.select_related("user", "client").order_by("-is_active", "user__username")
        # Open ones (pending or expired): they may be resent or withdrawn.
        invitations = Invitation.objects.filter(OPEN).select_related("client", "invited_by")
        return super().get_context_data(members=members, invitations=invitations, **kwargs)


class MemberInviteView(MemberRequiredMixin, OnceOnlyMixin, FormView):
    permission_required = "member.add"
    template_name = "msp/form.html"
    form_class = MemberInviteForm
    success_url = reverse_lazy("members:list")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "membership": self.request.membership}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Invite a member"), cancel_url=reverse_lazy("members:list"), **kwargs
        )

    def form_valid(self, form):
        invitation = _call_service(
            form, invitation_create, by=self.request.membership, request=self.request, **form.cleaned_data
        )
        if invitation is None:
            return self.form_invalid(form)
        # The same words whoever the address is: they become a member when they accept.
        messages.success(
            self.request,
            _("%(email)s was invited; they join once they accept the e-mailed invitation.")
            % {"email": invitation.email},
        )
        self.request.once_created_url = str(self.success_url)  # invited once, however many Saves
        return super().form_valid(form)


def _with_portal_contact(message: str, saved: MemberSaved) -> str:
    """The success message, plus which of the client's contacts a client login is."""
    portal = saved.portal_contact
    if portal is None:
        return message
    names = {"contact": portal.contact.name, "client": saved.membership.client.name}
    if portal.created:
        return f"{message} " + _("The contact %(contact)s was created at %(client)s for their login.") % names
    return f"{message} " + _("Their login is linked to the contact %(contact)s at %(client)s.") % names


def _call_service(form, service, **kwargs):
    """Run a service; turn the rules it refuses into errors on the form (and return None)."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
    except PermissionDenied as error:
        form.add_error(None, str(error))
    return None


class MemberEditView(MemberRequiredMixin, FormView):
    model = Membership
    permission_required = "member.change"
    template_name = "msp/form.html"
    form_class = MemberEditForm
    success_url = reverse_lazy("members:list")

    @cached_property
    def member(self) -> Membership:
        return get_object_or_404(Membership.objects.select_related("user"), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.member  # noqa: B018 - 404 before rendering a form for nobody
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return {"role": self.member.role, "client": self.member.client, "is_active": self.member.is_active}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "membership": self.request.membership}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Edit %(user)s") % {"user": self.member.user},
            cancel_url=reverse_lazy("members:list"),
            **kwargs,
        )

    def form_valid(self, form):
        saved = _call_service(
            form, member_update, by=self.request.membership, membership=self.member, **form.cleaned_data
        )
        if saved is None:
            return self.form_invalid(form)
        messages.success(self.request, _with_portal_contact(_("Member updated."), saved))
        return super().form_valid(form)


class MemberRemoveView(MemberRequiredMixin, View):
    model = Membership
    permission_required = "member.delete"

    def get(self, request, pk):
        member = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
        return render(
            request, "msp/confirm_delete.html", {"object": member, "cancel_url": reverse_lazy("members:list")}
        )

    def post(self, request, pk):
        member = get_object_or_404(Membership.objects.all(), pk=pk)
        try:
            member_remove(by=request.membership, membership=member)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return redirect("members:list")
        messages.success(request, _("Member removed."))
        return redirect("members:list")

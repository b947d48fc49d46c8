"""Invitations in the browser: the MSP's resend and revoke (on the members page), and the
invitee's page behind the e-mailed link, where they accept or decline.

The link is the credential (like a password reset's), so its page is public: it shows the
organisation and the role, and lets the person who opened it accept (signed in as a user
with the invited address, or choosing a username and password there) or decline. A link
that opens nothing, or whose invitation is no longer pending, is a page saying so.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from msp.forms.tenancy import InvitationSignupForm
from msp.invitations import (
    InvitationClosed,
    invitation_accept,
    invitation_accept_new_user,
    invitation_create,
    invitation_decline,
    invitation_for_key,
    invitation_resend,
    invitation_revoke,
    username_suggestion,
)
from msp.middleware import SESSION_TENANT_KEY
from msp.models import Contact, Invitation, InvitationStatus, User
from msp.roles import Role
from msp.views.base import MemberRequiredMixin

# --- the MSP's side --------------------------------------------------------------------------


class _InvitationActionView(MemberRequiredMixin, View):
    model = Invitation
    permission_required = "member.add"  # who may invite may resend or withdraw an invitation
    http_method_names = ["post"]

    def post(self, request, pk):
        invitation = get_object_or_404(Invitation.objects.all(), pk=pk)
        try:
            self.act(invitation)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("members:list")


class InvitationResendView(_InvitationActionView):
    def act(self, invitation):
        invitation_resend(by=self.request.membership, invitation=invitation, request=self.request)
        messages.success(
            self.request, _("The invitation was sent again to %(email)s.") % {"email": invitation}
        )


class InvitationRevokeView(_InvitationActionView):
    def act(self, invitation):
        invitation_revoke(by=self.request.membership, invitation=invitation)
        messages.success(
            self.request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation}
        )


class ContactPortalInviteView(MemberRequiredMixin, View):
    """A contact's page: "Invite to the portal". A client-contact invitation to the contact's
    address, for its company; the e-mailed link lets them choose a password (or sign in), and
    accepting makes the client login and turns the contact's portal access on
    (msp.invitations). Asked again while it is open, it sends the invitation again."""

    model = Contact
    permission_required = "member.add"  # who may invite members may invite a client's contact
    http_method_names = ["post"]

    def post(self, request, pk):
        contact = get_object_or_404(Contact.objects.select_related("client"), pk=pk)
        if not contact.email:
            messages.error(
                request, _("Add the contact's e-mail address first: the invitation is sent there.")
            )
            return redirect(contact)
        try:
            invitation_create(
                by=request.membership,
                email=contact.email,
                role=Role.CLIENT,
                client=contact.client,
                request=request,
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request,
                _(
                    "%(name)s was invited to the portal at %(email)s; they get access once they accept "
                    "the e-mailed invitation and choose a password."
                )
                % {"name": contact.name, "email": contact.email},
            )
        return redirect(contact)


# --- the invitee's side ------------------------------------------------------------------------

CLOSED_REASONS = {
    InvitationStatus.ACCEPTED: _("This invitation was already accepted."),
    InvitationStatus.DECLINED: _("This invitation was declined."),
    InvitationStatus.REVOKED: _("This invitation was withdrawn by the organisation."),
    InvitationStatus.EXPIRED: _("This invitation has expired."),
}


def _closed(request, invitation: Invitation | None):
    """The page of a link that does nothing (any more): 404 for an unknown key, 410 otherwise."""
    if invitation is None:
        reason = _("This invitation link is not valid. Check that you copied all of it.")
    else:
        reason = str(CLOSED_REASONS[invitation.status])
    context = {"reason": reason, "invitation": invitation}
    return render(request, "msp/invitations/closed.html", context, status=404 if invitation is None else 410)


class InvitationView(View):
    """GET shows the invitation; POST `action` = accept (signed in), signup (a new account
    with a username and password) or decline."""

    template_name = "msp/invitations/invitation.html"

    def dispatch(self, request, key):
        self.invitation = invitation_for_key(key)
        if self.invitation is None or not self.invitation.is_pending:
            return _closed(request, self.invitation)
        return super().dispatch(request, key)

    def _page(self, form=None, error: str = "", status: int = 200):
        invitation, user = self.invitation, self.request.user
        signed_in = user.is_authenticated
        context = {
            "invitation": invitation,
            "signed_in_as_invitee": signed_in and (user.email or "").lower() == invitation.email.lower(),
            # The person opening the link reads the invited mailbox: whether it has an account
            # is theirs to know (the inviter never sees this page's answer).
            "has_account": signed_in or User.objects.filter(email__iexact=invitation.email).exists(),
            "form": form,
            "error": error,
        }
        if not context["has_account"] and form is None:
            context["form"] = InvitationSignupForm(
                email=invitation.email, initial={"username": username_suggestion(invitation)}
            )
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, key):
        return self._page()

    def post(self, request, key):
        action, form = request.POST.get("action"), None
        try:
            if action == "decline":
                invitation_decline(invitation=self.invitation)
                context = {"reason": _("You declined the invitation. Nothing was changed.")}
                return render(request, "msp/invitations/closed.html", context)
            if action == "accept" and request.user.is_authenticated:
                membership = invitation_accept(invitation=self.invitation, user=request.user).membership
            elif action == "signup" and not request.user.is_authenticated:
                form = InvitationSignupForm(request.POST, email=self.invitation.email)
                if not form.is_valid():
                    return self._page(form=form, status=400)
                membership = invitation_accept_new_user(
                    invitation=self.invitation,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                ).membership
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                return self._page(error=_("Choose accept or decline."), status=400)
        except InvitationClosed as closed:
            return _closed(request, closed.invitation)
        except (ValidationError, PermissionDenied) as error:
            if hasattr(error, "error_dict") and form is not None:
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                return self._page(form=form, status=400)
            return self._page(error=" ".join(getattr(error, "messages", [str(error)])), status=400)
        request.session[SESSION_TENANT_KEY] = membership.tenant_id  # start in the new organisation
        messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": membership.tenant.name})
        return redirect("dashboard")

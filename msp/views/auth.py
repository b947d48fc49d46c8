from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.generic import FormView

from msp.forms.auth import SignupForm, ThrottledAuthenticationForm
from msp.middleware import SESSION_TENANT_KEY
from msp.services import tenant_create


class LoginView(auth_views.LoginView):
    template_name = "msp/auth/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class SignupView(FormView):
    """An MSP signs up: creates its tenant and its owner, and signs the owner in."""

    template_name = "msp/auth/signup.html"
    form_class = SignupForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.method == "GET" and "new" not in request.GET:
            return redirect("dashboard")
        return super().dispatch(request, *args, **kwargs)

    @transaction.atomic
    def form_valid(self, form):
        data = form.cleaned_data
        signup = tenant_create(
            name=data["company_name"],
            slug=data["slug"],
            owner_username=data["username"],
            owner_email=data["email"],
            owner_password=data["password1"],
            default_currency=data["default_currency"],
            timezone=data["timezone"],
            language=data["language"],
        )
        login(self.request, signup.owner, backend="django.contrib.auth.backends.ModelBackend")
        self.request.session[SESSION_TENANT_KEY] = signup.tenant.pk
        with translation.override(signup.tenant.language):  # the pages that follow speak it
            messages.success(
                self.request, _("Welcome! %(tenant)s is ready.") % {"tenant": signup.tenant.name}
            )
        return redirect("dashboard")

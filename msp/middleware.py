from django.http import Http404
from django.shortcuts import render
from django.utils import timezone, translation

from msp import scoping
from msp.selectors import membership_for_request, time_zone_for

SESSION_TENANT_KEY = "msp_tenant_id"


class TenantMiddleware:
    """Resolve the request's membership (from the session) and activate its tenant scope.

    API token requests resolve theirs in the API base classes, after DRF authenticates.
    With no membership, no scope is active and tenant-owned models refuse to answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.memberships = []
        if request.user.is_authenticated:
            request.membership = membership_for_request(request, SESSION_TENANT_KEY)
        token = scoping.activate(
            scoping.Scope.for_membership(request.membership) if request.membership else None
        )
        try:
            return self.get_response(request)
        finally:
            scoping.restore(token)


class UserLanguageMiddleware:
    """The user's language, else their tenant's default, else what the browser asks for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            language = user.language
        elif getattr(request, "membership", None) is not None:
            language = request.membership.tenant.language
        if not language:
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class TimezoneMiddleware:
    """Times in the user's zone, else their tenant's: shown on pages, typed into forms.

    Forms read a typed time in the active zone, and templates convert stored (UTC) times to
    it. API token requests activate their member's zone in the API base classes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        user = getattr(request, "user", None)
        zone = time_zone_for(
            tenant=membership.tenant if membership is not None else None,
            user=user if user is not None and user.is_authenticated else None,
        )
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ElsewhereNotFoundMiddleware:
    """A page's object not found here, but in another organisation the user works in: a 404
    page that offers to switch there (a link shared by a colleague of the other MSP, a
    bookmark from before a switch). Only the user's own memberships are searched, each in
    its own scope and with its role's permission for the page, exactly as the page would be
    served after the switch; so it tells the user nothing they could not open themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Http404) or request.method != "GET":
            return None
        membership = getattr(request, "membership", None)
        others = [
            m
            for m in getattr(request, "memberships", [])
            if membership and m.tenant_id != membership.tenant_id
        ]
        match = request.resolver_match
        if not others or match is None or "pk" not in match.kwargs:
            return None
        view_class = getattr(match.func, "view_class", None)
        model = getattr(view_class, "model", None)
        if model is None or not issubclass(model, scoping.TenantOwnedModel):
            return None
        found = _membership_that_sees(request, view_class, model, match.kwargs, others)
        if found is None:
            return None
        context = {
            "other": found,
            "thing": model._meta.verbose_name,
            "next": request.get_full_path(),
        }
        return render(request, "msp/not_found_elsewhere.html", context, status=404)


def _membership_that_sees(request, view_class, model, kwargs, memberships):
    view = view_class()
    view.setup(request, **kwargs)
    try:
        permissions = view.get_permission_required()
    except (AttributeError, TypeError):
        return None
    for other in memberships:
        if not permissions or not all(other.has_perm(p) for p in permissions):
            continue
        with scoping.membership_scope(other):
            if model.objects.filter(pk=kwargs["pk"]).exists():
                return other
    return None

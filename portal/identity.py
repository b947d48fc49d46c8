"""The MSP's logo for the portal's header: the client contact's own MSP's, served by the
portal (the media folder is not public). Without a logo, a monogram of the MSP's name."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.html import escape
from django.views import View

from msp.identity import logo_file
from msp.roles import PORTAL
from msp.views.base import MemberRequiredMixin

CACHE = "private, max-age=86400"  # the URL carries the file's name: a new logo is a new URL


def monogram_svg(name: str) -> str:
    initials = "".join(word[0] for word in name.split()[:2] if word).upper() or "?"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img">'
        f"<title>{escape(name)}</title>"
        '<rect width="64" height="64" rx="12" fill="#0f766e"/>'
        '<text x="32" y="41" text-anchor="middle" font-family="system-ui, sans-serif" '
        f'font-size="26" font-weight="700" fill="#fff">{escape(initials)}</text></svg>'
    )


class PortalLogoView(MemberRequiredMixin, View):
    permission_required = PORTAL

    def get(self, request):
        tenant = request.membership.tenant
        found = logo_file(tenant)
        if found is None:
            response = HttpResponse(monogram_svg(tenant.name), content_type="image/svg+xml")
        else:
            data, mime = found
            response = HttpResponse(data, content_type=mime)
        response["Cache-Control"] = CACHE
        response["X-Content-Type-Options"] = "nosniff"
        return response

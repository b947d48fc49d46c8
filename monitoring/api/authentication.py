from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from monitoring.models import IngestKey, key_digest

HEADER = "X-Ingest-Key"


class IngestKeyAuthentication(authentication.BaseAuthentication):
    """A monitoring tool's key: `X-Ingest-Key: <key>`, or `Authorization: Bearer <key>` for
    tools that can only send that (Alertmanager's `http_config`). The key names the tenant."""

    def authenticate(self, request):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer":
                return None
            key = value.strip()
        if not key:
            raise exceptions.AuthenticationFailed(_("Send the ingest key."))
        # Before any scope: the key is what tells which tenant this is.
        found = (
            IngestKey.unscoped.select_related("tenant")
            .filter(digest=key_digest(key), revoked_at__isnull=True)
            .first()
        )
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked ingest key."))
        return None, found

    def authenticate_header(self, request):
        return f'Bearer realm="monitoring", {HEADER}'


class IngestKeyScheme(OpenApiAuthenticationExtension):
    target_class = IngestKeyAuthentication
    name = ["IngestKey", "IngestBearer"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": HEADER},
            {
                "type": "http",
                "scheme": "bearer",
                "description": "The ingest key, for tools that send only this.",
            },
        ]

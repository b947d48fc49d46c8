from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from inbox.models import Mailbox, token_digest

HEADER = "X-Mailbox-Token"


class MailboxTokenAuthentication(authentication.BaseAuthentication):
    """A mail provider's push: `X-Mailbox-Token: <token>`, the mailbox's webhook token (shown
    once when made; only its digest is kept). The token names the mailbox, hence the tenant."""

    def authenticate(self, request):
        token = request.headers.get(HEADER, "").strip()
        if not token:
            return None
        # Before any scope: the token is what tells which tenant this is.
        mailbox = (
            Mailbox.unscoped.select_related("tenant")
            .filter(webhook_digest=token_digest(token), is_active=True)
            .exclude(webhook_digest="")
            .first()
        )
        if mailbox is None:
            raise exceptions.AuthenticationFailed(_("Invalid mailbox token, or its mailbox is switched off."))
        return None, mailbox

    def authenticate_header(self, request):
        return HEADER


class MailboxTokenScheme(OpenApiAuthenticationExtension):
    target_class = MailboxTokenAuthentication
    name = "MailboxToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": HEADER}

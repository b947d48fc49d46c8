"""One-time form tokens: a form saved twice (Back then Save, a double click, a retried
post) creates its object once; the second answer shows the object the first one created.

Every create form carries a hidden ``form_token`` (``{% form_token %}``, from
``msp.templatetags.form_token``), a fresh random value each time the form is shown. A view
with ``OnceOnlyMixin`` records, in the same transaction as the object it creates, the token
against the member (tenant and user) and the URL it answered with. A second post of the
same token finds the record and is sent to that URL instead: nothing is created again. Two
posts racing each other meet the record's unique constraint, and the later one is rolled
back whole. The records are the API's ``Idempotency-Key`` rows (``msp.idempotency``) under
a ``form:`` prefix, stored in the database (every process sees them) and purged with them.

A refused form (errors shown again) does not spend its token: the corrected form still
creates once. A post without a token (an old page, a script) is served as before.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from msp.models import IdempotencyKey

FIELD = "form_token"
KEY_PREFIX = "form:"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_REDIRECTS = {301, 302, 303, 307, 308}
LIFETIME = timedelta(hours=24)  # as the API's keys (msp.idempotency), purged with them


def form_token_new() -> str:
    return secrets.token_urlsafe(24)


def form_token_valid(token: str) -> bool:
    return bool(token) and _TOKEN.fullmatch(token) is not None


def form_token_earlier(*, membership, token: str) -> str | None:
    """The URL a first post of ``token`` answered with, if it created something."""
    body = (
        IdempotencyKey.objects.filter(
            membership=membership,
            key=KEY_PREFIX + token,
            fingerprint="form",  # never an API key that happens to look like one
            status_code__isnull=False,
            created_at__gte=timezone.now() - LIFETIME,
        )
        .values_list("body", flat=True)
        .first()
    )
    return bytes(body).decode() if body is not None else None


def form_token_spend(*, membership, token: str, url: str) -> bool:
    """Record that ``token`` created what ``url`` shows; False if it was spent already."""
    IdempotencyKey.objects.filter(
        membership=membership, key=KEY_PREFIX + token, created_at__lt=timezone.now() - LIFETIME
    ).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                membership=membership,
                key=KEY_PREFIX + token,
                fingerprint="form",
                status_code=303,
                content_type="text/uri-list",
                body=url.encode(),
            )
    except IntegrityError:
        return False
    return True


class _Spent(Exception):  # noqa: N818 - control flow: roll the second creation back
    pass


class OnceOnlyMixin:
    """A create view whose form is saved once per ``form_token``.

    Place it after the permission mixins (its ``dispatch`` runs once they let the request
    through). Success is a redirect from a view that set ``self.object`` (a CreateView), or
    any answer once the view sets ``request.once_created_url`` (an htmx panel, say);
    ``once_replay`` answers the second post (a redirect, or ``HX-Redirect`` for htmx).
    """

    once_only = True  # False in a subclass that posts the same form but creates nothing

    def dispatch(self, request, *args, **kwargs):
        token = request.POST.get(FIELD, "") if request.method == "POST" and self.once_only else ""
        membership = getattr(request, "membership", None)
        if membership is None or not form_token_valid(token):
            return super().dispatch(request, *args, **kwargs)
        earlier = form_token_earlier(membership=membership, token=token)
        if earlier is not None:
            return self.once_replay(request, earlier)
        try:
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                url = self._created_url(request, response)
                if url and not form_token_spend(membership=membership, token=token, url=url):
                    raise _Spent
        except _Spent:
            list(messages.get_messages(request))  # the rolled-back creation's "was created"
            return self.once_replay(request, form_token_earlier(membership=membership, token=token) or url)
        return response

    def _created_url(self, request, response) -> str | None:
        url = getattr(request, "once_created_url", None)
        if url:
            return url
        if response.status_code in _REDIRECTS and getattr(self, "object", None) is not None:
            return response["Location"]
        return None

    def once_replay(self, request, url: str):
        messages.info(request, _("This form was already saved: here is what it created."))
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)

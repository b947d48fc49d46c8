"""``Idempotency-Key`` on API writes: a retried request is answered once, never done twice.

A client that did not hear back (a timeout, a dropped connection) resends its POST with the
same key; the first request's answer is replayed instead of booking the time entry or the
payment again. The same key with a different request is a client bug and answers 409. Keys
belong to the membership that sent them and live for a day.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from msp.api.errors import Conflict
from msp.models import IdempotencyKey

HEADER = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
MAX_LENGTH = 255


class Replay(Exception):  # noqa: N818 - not an error: the stored answer, raised past the handler
    def __init__(self, record: IdempotencyKey):
        self.record = record

    def response(self) -> HttpResponse:
        response = HttpResponse(
            bytes(self.record.body),
            status=self.record.status_code,
            content_type=self.record.content_type or None,
        )
        response["Idempotent-Replayed"] = "true"
        return response


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def request_fingerprint(request) -> str:
    """The fingerprint of a DRF request: its raw body, except for a multipart upload.

    A multipart body is not read whole: Django refuses a body above DATA_UPLOAD_MAX_MEMORY_SIZE
    (2.5 MB) when it is read into memory, which a file upload may well exceed, and a client
    that retries may send a new boundary. Its fingerprint is made from what it carries: the
    form fields, and each file's field, name and content, hashed in chunks from the parsed
    upload (kept on disk when large)."""
    django_request = request._request
    path = request.get_full_path()
    if django_request.content_type != "multipart/form-data":
        return fingerprint(request.method, path, django_request.body)
    digest = hashlib.sha256(f"{request.method} {path}\nmultipart\n".encode())
    for name, values in sorted(request.POST.lists()):
        for value in values:
            digest.update(f"field {len(name)}:{name} {len(value)}:{value}\n".encode())
    for name, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            digest.update(
                f"file {len(name)}:{name} {len(upload.name)}:{upload.name} {upload.size}\n".encode()
            )
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def idempotency_claim(*, membership, key: str, request_fingerprint: str) -> IdempotencyKey:
    """Claim ``key`` for this request, or raise: ``Replay`` (the same request, answered
    before), ``Conflict`` (another request, or the first one still running)."""
    if not key or len(key) > MAX_LENGTH:
        raise exceptions.ValidationError(
            {HEADER: [_("An Idempotency-Key is 1 to %(max)d characters.") % {"max": MAX_LENGTH}]}
        )
    IdempotencyKey.objects.filter(
        membership=membership, key=key, created_at__lt=timezone.now() - LIFETIME
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                membership=membership, key=key, fingerprint=request_fingerprint
            )
    except IntegrityError:
        pass
    earlier = IdempotencyKey.objects.get(membership=membership, key=key)
    if earlier.fingerprint != request_fingerprint:
        raise Conflict(_("This Idempotency-Key was already used with a different request."))
    if earlier.status_code is None:
        raise Conflict(_("A request with this Idempotency-Key is still being processed; retry later."))
    raise Replay(earlier)


def idempotency_store(record: IdempotencyKey, response) -> None:
    """Keep the answer for retries; a server error frees the key (the retry runs again)."""
    if response.status_code >= 500:
        record.delete()
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    record.status_code = response.status_code
    record.content_type = response.get("Content-Type", "")
    record.body = response.content
    record.save(update_fields=["status_code", "content_type", "body"])


def idempotency_purge() -> int:
    """Delete keys older than their lifetime (the beat runs it daily)."""
    deleted, _counts = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - LIFETIME).delete()
    return deleted

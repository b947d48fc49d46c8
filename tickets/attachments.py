"""Ticket attachments: adding files (checked: tickets.files), with a new ticket or reply or on
their own, listing them, serving one.

Who sees a file is decided by the model's manager (tickets.models.AttachmentManager): a
client contact's scope holds its own company's files and never an internal note's, another
tenant's are never in scope. The download answer carries the checks of a file a browser must
not run: ``Content-Disposition: attachment``, ``X-Content-Type-Options: nosniff`` and a
sandboxing Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from msp.scoping import scoped_by
from tickets.files import CheckedFile, check_file
from tickets.models import Attachment, Ticket, TicketComment
from tickets.services import comment_add, ticket_create

MAX_FILES = 10  # per request


def attachments_check(files: Iterable, *, tenant) -> list[tuple[object, CheckedFile]]:
    """Judge every file before any is stored: (file, CheckedFile) pairs, or one ValidationError
    listing what is wrong with each refused file."""
    files = list(files)
    if len(files) > MAX_FILES:
        raise ValidationError(
            _("Attach at most %(max)d files at once.") % {"max": MAX_FILES}, code="too_many"
        )
    checked, errors = [], []
    for upload in files:
        try:
            checked.append((upload, check_file(upload, max_bytes=tenant.attachment_max_bytes)))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


@scoped_by("ticket")
@transaction.atomic
def attachments_add(
    *, ticket: Ticket, files: Iterable, uploaded_by, comment: TicketComment | None = None
) -> list[Attachment]:
    """Store files on the ticket, or on one of its replies or notes; all of them or, when one
    is refused, none (a ValidationError on ``files``)."""
    if comment is not None and comment.ticket_id != ticket.pk:
        raise ValidationError({"comment": _("This reply is not one of the ticket's.")})
    try:
        checked = attachments_check(files, tenant=ticket.tenant)
    except ValidationError as exc:
        raise ValidationError({"files": exc.error_list}) from exc
    attachments = []
    for upload, info in checked:
        attachment = Attachment(
            tenant_id=ticket.tenant_id,
            ticket=ticket,
            comment=comment,
            original_name=info.name,
            size=info.size,
            content_type=info.content_type,
            uploaded_by=uploaded_by,
        )
        upload.seek(0)
        # Every file was judged above, so a refusal stores nothing; the storage is not
        # transactional, so a database failure after this leaves an unreferenced file at worst.
        attachment.file.save(info.name, upload, save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.storage.delete(attachment.file.name)
            raise
        attachments.append(attachment)
    return attachments


@transaction.atomic
def ticket_create_with_files(*, files: Iterable = (), **ticket) -> Ticket:
    """Open a ticket (tickets.services.ticket_create) with files on it: both, or neither."""
    opened = ticket_create(**ticket)
    if files:
        attachments_add(ticket=opened, files=files, uploaded_by=ticket.get("created_by"))
    return opened


@transaction.atomic
def comment_add_with_files(ticket: Ticket, *, author, files: Iterable = (), **comment) -> TicketComment:
    """A reply or note (tickets.services.comment_add) with files on it: both, or neither."""
    added = comment_add(ticket, author=author, **comment)
    if files:
        attachments_add(ticket=ticket, files=files, uploaded_by=author, comment=added)
    return added


def attachment_list(*, ticket: Ticket):
    """The ticket's files the active scope may see (a client contact: public ones only)."""
    return Attachment.objects.filter(ticket_id=ticket.pk).select_related("uploaded_by", "comment")


def with_attachments(ticket: Ticket, comments) -> tuple[list[Attachment], list[TicketComment]]:
    """The ticket's own files, and its comments (a queryset or list) each with ``files``, the
    files of that reply or note: one query for all files, whatever their number."""
    on_ticket, by_comment = [], {}
    for attachment in attachment_list(ticket=ticket):
        if attachment.comment_id is None:
            on_ticket.append(attachment)
        else:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
    comments = list(comments)
    for comment in comments:
        comment.files = by_comment.get(comment.pk, [])
    return on_ticket, comments


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download, never shown inline or sniffed into something runnable."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response

"""The API's parsers: DRF's, with JSON nesting bounded and an empty multipart body refused.

Python's json parser recurses once per nested array or object, so a body of 100,000 ``[``
(100 KB) raised RecursionError inside it, which DRF does not catch: a 500 on every JSON
endpoint. Here that is a 400, and so is any document nested deeper than MAX_DEPTH, which no
payload of ours (nor Alertmanager's, nor a monitoring tool's) comes near. The depth is
measured on the parsed document, one visit per array or object, so it costs a small
fraction of the parse itself; the parse cannot go deeper than the interpreter's recursion
limit before failing fast.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError

from msp.uploads import upload_refused

MAX_DEPTH = 64


def _too_deep(document) -> bool:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _refuse_nesting():
    return ParseError(
        _("JSON parse error - the document is nested more than %(max)d levels deep.") % {"max": MAX_DEPTH}
    )


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            document = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _refuse_nesting() from None
        if _too_deep(document):
            raise _refuse_nesting()
        return document


class UploadTooLarge(APIException):
    status_code = 413
    default_code = "upload_too_large"


class MultiPartParser(parsers.MultiPartParser):
    """A body sent as multipart that holds no part at all (no boundary, or garbage) reads as
    an empty form in Django: an action whose fields are all optional (mark every
    notification read, stop the timer) would then run on it. It is malformed: a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        request = (parser_context or {}).get("request")
        refused = upload_refused(getattr(request, "_request", None))
        if refused is not None:
            raise UploadTooLarge(refused)
        sent = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if sent and not parsed.data and not parsed.files:
            raise ParseError(_("The multipart body holds no field."))
        return parsed

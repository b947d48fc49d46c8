"""The API's request parsers: DRF's, but a multipart body with nothing in it is refused."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers


class MultiPartParser(parsers.MultiPartParser):
    """A body sent as multipart that holds no part at all (no boundary, or garbage) reads as
    an empty form in Django: an action whose fields are all optional (mark every
    notification read, stop the timer) would then run on it. It is malformed: a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        request = (parser_context or {}).get("request")
        sent = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if sent and not parsed.data and not parsed.files:
            raise exceptions.ParseError(_("The multipart body holds no field."))
        return parsed

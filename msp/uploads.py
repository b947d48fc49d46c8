"""Uploads read no more of a file than the largest attachment the tenant allows.

Django streams an uploaded file larger than 2.5 MB to a temporary file on disk, whole, before
any view can look at it. This handler, in place of Django's temporary-file one, keeps
counting but stops writing once a file passes the tenant's limit (``Tenant.attachment_max_mb``;
the project's ceiling when the tenant is not known yet, as for an API token before it is
read): the file keeps its true size, so the attachment checks refuse it as too large, but a
multi-gigabyte upload never fills the disk. The reverse proxy's body limit stays the first
line (README).

Nor is a multipart body read on without end (issue 20: multipart uploads were not capped
at all): once the files of one request pass MAX_FILES_PER_REQUEST times the limit, or the
project's ceiling (an API token's request, whose tenant is not known yet), the handler stops reading (``StopUpload``, the connection
is not drained) and marks the request: the API's parser then answers a 413 with a JSON error
(``msp.api.parsers``), and for the browser ``UploadTooLargeMiddleware`` answers before any view
runs, with the page again and the error on it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

MAX_FILES_PER_REQUEST = 10  # as a ticket's upload allows (tickets.attachments)


def upload_limit_bytes(request) -> int:
    membership = getattr(request, "membership", None) if request is not None else None
    if membership is not None:
        return membership.tenant.attachment_max_bytes
    return settings.ATTACHMENT_MAX_MB_CEILING * 1024 * 1024


def request_cap_bytes(limit: int) -> int:
    """The most file bytes one request is read for: more than any request that could be
    accepted carries (MAX_FILES_PER_REQUEST files at the limit), up to the ceiling."""
    return min(limit * MAX_FILES_PER_REQUEST, max(limit, settings.ATTACHMENT_MAX_MB_CEILING * 1024 * 1024))


def upload_refused(request) -> str | None:
    """Why the handler stopped reading this request's body, or None when it did not."""
    size = getattr(request, "upload_refused_mb", None)
    if size is None:
        return None
    return _("The upload is larger than %(size)d MB in all; nothing was saved.") % {"size": size}


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received = 0  # this request's file bytes, all files

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.limit = upload_limit_bytes(self.request)
        self.written = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        cap = request_cap_bytes(self.limit)
        if self.received > cap:
            if self.request is not None:
                self.request.upload_refused_mb = cap // (1024 * 1024)
            raise StopUpload(connection_reset=True)
        room = self.limit + 1 - self.written  # one byte over is enough to be judged too large
        if room > 0:
            self.file.write(raw_data[:room])
            self.written += min(room, len(raw_data))
        return None


class UploadTooLargeMiddleware:
    """Answers a request whose upload the handler stopped (see the module's docstring). Runs
    its check before the view: the body is parsed here if nothing parsed it yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.content_type != "multipart/form-data":
            return None  # Django parses uploads of POSTs only
        if request.path.startswith("/api/"):
            # The API's parser reads the body after authentication and the permission check
            # (a refused role gets its 403 first) and answers this 413 itself (msp.api.parsers).
            return None
        request.FILES  # noqa: B018 - parse now (the CSRF check may have already)
        message = upload_refused(request)
        if message is None:
            return None
        messages.error(request, message)
        back = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = request.path
        return redirect(back)

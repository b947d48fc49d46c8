"""Uploads read no more of a file than the largest attachment the tenant allows.

Django streams an uploaded file larger than 2.5 MB to a temporary file on disk, whole, before
any view can look at it. This handler, in place of Django's temporary-file one, keeps
counting but stops writing once a file passes the tenant's limit (``Tenant.attachment_max_mb``;
the project's ceiling when the tenant is not known yet, as for an API token before it is
read): the file keeps its true size, so the attachment checks refuse it as too large, but a
multi-gigabyte upload never fills the disk. The reverse proxy's body limit stays the first
line (README).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


def upload_limit_bytes(request) -> int:
    membership = getattr(request, "membership", None) if request is not None else None
    if membership is not None:
        return membership.tenant.attachment_max_bytes
    return settings.ATTACHMENT_MAX_MB_CEILING * 1024 * 1024


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.limit = upload_limit_bytes(self.request)
        self.written = 0

    def receive_data_chunk(self, raw_data, start):
        room = self.limit + 1 - self.written  # one byte over is enough to be judged too large
        if room > 0:
            self.file.write(raw_data[:room])
            self.written += min(room, len(raw_data))
        return None

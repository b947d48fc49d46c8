"""The MSP's identity on documents (offers now; invoices and reports later): its legal name,
address, VAT number and logo, read the same way by every PDF."""

from __future__ import annotations

import base64
import logging

logger = logging.getLogger(__name__)

_MIME = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}


def logo_file(tenant) -> tuple[bytes, str] | None:
    """The tenant's logo and its media type, read through Django's storage (a file system or
    any S3-compatible store alike); None without a logo, or when the stored file cannot be read."""
    if not tenant.logo:
        return None
    suffix = tenant.logo.name.rsplit(".", 1)[-1].lower()
    mime = _MIME.get(suffix)
    if mime is None:
        return None
    try:
        with tenant.logo.open("rb") as file:
            return file.read(), mime
    except OSError:
        logger.warning("The logo of tenant %s could not be read from storage.", tenant.pk)
        return None


def logo_data_uri(tenant) -> str:
    """The tenant's logo as a data: URI, so a PDF renderer needs no URL to fetch; "" without
    a logo, or when the stored file cannot be read (the document is still made, without it)."""
    found = logo_file(tenant)
    if found is None:
        return ""
    data, mime = found
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

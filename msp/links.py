"""Absolute links for e-mails written without a request (Celery tasks)."""

from django.conf import settings
from django.urls import reverse


def site_url(viewname: str, *args, query: str = "") -> str:
    """``SITE_URL`` + the view's path (+ ``?query``): a link a mail client can open."""
    path = reverse(viewname, args=args)
    return f"{settings.SITE_URL}{path}{'?' + query if query else ''}"


def absolute(path: str) -> str:
    """``SITE_URL`` + a path of this site."""
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path

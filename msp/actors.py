"""Who is acting, and through what: what the audit trail (the `audit` app) records beside a
change to money or hours.

Like the tenant scope (msp.scoping), the actor lives in a ContextVar set once where work
enters the system: ActorMiddleware for a browser request, the API base classes once DRF has
authenticated a token (msp.api.base), TenantTask for a Celery task (msp.tenant_tasks). With
none of them, the work is a management command (named after it) or, under tests and
shells, the system. It lives here, at the bottom, because those entry points are msp's and
the audit app sits above it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from msp.people import display_name


class Channel(models.TextChoices):
    BROWSER = "browser", _("Browser")
    API = "api", _("API token")
    TASK = "task", _("Background task")
    COMMAND = "command", _("Management command")
    SYSTEM = "system", _("System")


@dataclass(frozen=True)
class Actor:
    channel: str
    user_id: int | None = None
    membership_id: int | None = None
    name: str = ""  # the person's name as it was then: a later rename does not rewrite history
    ip: str | None = None
    via: str = ""  # the task's or command's name, the API token's prefix


_current: ContextVar[Actor | None] = ContextVar("msp_actor", default=None)


def _command() -> Actor:
    """Outside a request and a task: `manage.py <command>` says which command it is."""
    program = sys.argv[0].rsplit("/", 1)[-1] if sys.argv else ""
    if program in ("manage.py", "django-admin") and len(sys.argv) > 1:
        return Actor(channel=Channel.COMMAND, via=sys.argv[1][:100])
    return Actor(channel=Channel.SYSTEM)


def current_actor() -> Actor:
    return _current.get() or _command()


@contextmanager
def acting(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def activate(actor: Actor | None):
    return _current.set(actor)


def restore(token) -> None:
    _current.reset(token)


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: a forwarded header is the client's to write (the proxy in front
    # sets REMOTE_ADDR, e.g. gunicorn's --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") or None


def request_actor(request, membership, *, channel: str, via: str = "") -> Actor:
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return Actor(
        channel=channel,
        user_id=user.pk if authenticated else None,
        membership_id=membership.pk if membership is not None else None,
        name=display_name(user) if authenticated else "",
        ip=client_ip(request),
        via=via,
    )


class ActorMiddleware:
    """The browser's actor: the signed-in user and their membership (set by TenantMiddleware,
    which runs before). API token requests replace it once DRF has authenticated them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(
            request_actor(request, getattr(request, "membership", None), channel=Channel.BROWSER)
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)

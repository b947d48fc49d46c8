"""Extension points of the ticket pages for apps downstream of tickets/ (time tracking...).

tickets/ never imports them: they register here from their AppConfig.ready().

* ``register_panel(fn)``: ``fn(request, ticket)`` returns ``(template name, context dict)``,
  already rendered HTML (a str), or None; the ticket page shows each panel in order.
* ``register_row_action(template_name)``: included in the actions cell of every queue row
  (with ``ticket`` in context). It must not query per row: prefetch through
  ``register_queue_context`` or keep it to links and forms. Rows are cached by the values
  they show (``tickets.rows``), so an action that depends on more than those, the member and
  the language must say what through ``register_row_vary``; and it must not carry a
  per-request value such as a CSRF token (htmx sends the token as a header).
* ``register_email_thread(fn)``: ``fn(ticket)`` returns the e-mails received on the ticket
  (``IncomingEmail``s; inbox/ registers it). The ticket's "E-mails" panel shows them beside
  the ones sent (msp's OutboundEmail of the ticket's thread), and an e-mail about the ticket
  answers the latest of either (In-Reply-To/References). One query per ticket, not per e-mail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from msp.panels import render_panels


@dataclass(frozen=True)
class IncomingEmail:
    """An e-mail received on a ticket, as the ticket's thread shows it."""

    at: datetime  # when it was received
    message_id: str  # its Message-ID, without angle brackets ("" when it had none)
    sender: str
    subject: str
    state: str  # what became of it, in words ("reply to a ticket")
    url: str = ""  # its page, when it has one

    incoming = True


_panels: list[Callable] = []
_email_threads: list[Callable[..., Iterable[IncomingEmail]]] = []
_row_actions: list[str] = []
_queue_context: list[Callable] = []
_row_vary: list[Callable] = []


def register_panel(fn: Callable) -> Callable:
    if fn not in _panels:
        _panels.append(fn)
    return fn


def register_row_action(template_name: str) -> str:
    if template_name not in _row_actions:
        _row_actions.append(template_name)
    return template_name


def register_queue_context(fn: Callable) -> Callable:
    """``fn(request, rows)`` returns a dict merged into the queue rows' context (one query for
    the whole page, e.g. the member's running timer); ``rows`` are the page's values
    (``tickets.rows.ROW_FIELDS``: ``row.pk``, ``row.status`` ...), not model instances."""
    if fn not in _queue_context:
        _queue_context.append(fn)
    return fn


def register_row_vary(fn: Callable) -> Callable:
    """``fn(request)`` returns a value a row action depends on (e.g. the running timer's
    ticket); it becomes part of every queue row's cache key."""
    if fn not in _row_vary:
        _row_vary.append(fn)
    return fn


def row_vary(request) -> str:
    return ":".join(str(fn(request)) for fn in _row_vary)


def extra_panels(request, ticket) -> list[str]:
    """The registered panels of this ticket, rendered (safe HTML), in registration order."""
    return render_panels(_panels, request, "ticket", ticket)


def row_actions() -> list[str]:
    return list(_row_actions)


def queue_context(request, tickets) -> dict:
    context = {"row_vary": row_vary(request)}
    for fn in _queue_context:
        context.update(fn(request, tickets) or {})
    return context


def register_email_thread(fn: Callable[..., Iterable[IncomingEmail]]) -> Callable:
    if fn not in _email_threads:
        _email_threads.append(fn)
    return fn


def incoming_emails(ticket) -> list[IncomingEmail]:
    """The e-mails received on `ticket`, oldest first, from every registered source."""
    found = [email for fn in _email_threads for email in fn(ticket)]
    return sorted(found, key=lambda email: email.at)

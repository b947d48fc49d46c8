"""Low-balance warnings for prepaid hours.

Design: the levels are percentages of the *current block* (the contract's most recently
bought one) used up, from settings.HOURS_WARNING_LEVELS (default 80 and 95). After a draw
commits, the balance is compared with that block; each level crossed for the first time
for that block records a BalanceWarning row (unique per block, reason and level); each of
the client's contacts with portal access gets an e-mail of its own, and the tenant's account
managers are notified (msp.notifications.notify: in the app, and by e-mail as each prefers).
A client and the MSP's staff never share one mail.
A re-draw after an edit finds the row and sends nothing; a new block starts afresh. An
auto-renewed block is announced the same way, once (receiver of hour_block_purchased).
The row and the queued e-mail (msp.mail) commit together, so a crossing recorded is a
crossing announced; nothing here talks to the mail server, which only the worker does.
The check runs in the worker (contracts.tasks.balance_check_task, a task of the contract's
tenant), the announcement in the receiver of hour_block_purchased: both in the tenant's scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext as _

from contracts.models import BalanceWarning, BlockOrigin, Contract, HourBlock
from contracts.signals import hour_block_purchased
from msp.links import site_url
from msp.mail import compose, email_queue
from msp.models import Contact, Membership, NotificationKind
from msp.notifications import notify
from msp.roles import Role
from msp.scoping import scope_of

DEFAULT_LEVELS = (80, 95)


def warning_levels() -> tuple[int, ...]:
    return tuple(sorted(getattr(settings, "HOURS_WARNING_LEVELS", DEFAULT_LEVELS)))


def crosses_a_level(*, block_minutes: int, balance_before: int, balance_after: int | None) -> bool:
    """Whether a draw took the current block past a warning level it had not passed before.
    Only then is the worker asked to check (and record, and send): not once per entry."""
    if block_minutes <= 0 or balance_after is None:
        return False
    used_before = (block_minutes - balance_before) * 100
    used_after = (block_minutes - balance_after) * 100
    return any(used_before < level * block_minutes <= used_after for level in warning_levels())


def recipients(contract: Contract) -> list[str]:
    """The client's contacts with portal access: who is told, each by a mail of its own."""
    return [address for address, _name in portal_contacts(contract)]


def portal_contacts(contract: Contract) -> list[tuple[str, str]]:
    with scope_of(contract.tenant_id):
        contacts = Contact.objects.filter(client_id=contract.client_id, portal_access=True).exclude(email="")
        rows = dict(contacts.order_by("email").values_list("email", "name"))
    return sorted(rows.items())


def account_managers(contract: Contract) -> list[Membership]:
    with scope_of(contract.tenant_id):
        return list(
            Membership.objects.select_related("user").filter(
                role=Role.ACCOUNT_MANAGER, is_active=True, user__is_active=True
            )
        )


def _hm(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    return f"{sign}{abs(minutes) // 60}:{abs(minutes) % 60:02d}"


def _record(contract, block, reason, level) -> bool:
    """True when this crossing is new (the row was created); a unique constraint decides."""
    try:
        with transaction.atomic():
            BalanceWarning.objects.create(
                tenant_id=contract.tenant_id, contract=contract, block=block, reason=reason, level=level
            )
    except IntegrityError:
        return False
    return True


def _queue(contract: Contract, content) -> None:
    """A mail of its own to each of the client's contacts, in the MSP's language and name; the
    account managers through notify. `content()` gives (subject, body) in the active language."""
    tenant = contract.tenant
    with translation.override(tenant.language):
        subject, body = content()
        link = site_url("portal:hours")
        for address, name in portal_contacts(contract):
            email_queue(
                compose(tenant=tenant, to=[address], subject=subject, body=body, name=name, link=link),
                tenant_id=tenant.pk,
            )
    notify(
        tenant=tenant,
        memberships=account_managers(contract),
        kind=NotificationKind.HOURS_LOW,
        content=content,
        url=contract.get_absolute_url(),
        target=contract,
    )


@transaction.atomic
def balance_check(contract_id: int) -> list[int]:
    """Send a warning for each level newly crossed on the current block; returns the levels.
    In the contract's tenant's scope (the task's): another tenant's contract is not found."""
    contract = Contract.objects.select_related("client").filter(pk=contract_id).first()
    if contract is None:
        return []
    block = HourBlock.objects.filter(contract=contract).order_by("-purchased_at", "-pk").first()
    if block is None or block.minutes <= 0:
        return []
    used = block.minutes - contract.balance_minutes
    crossed = [level for level in warning_levels() if used * 100 >= level * block.minutes]
    new = [level for level in crossed if _record(contract, block, BalanceWarning.LEVEL, level)]
    if new:

        def content():
            subject = _("Prepaid hours for %(client)s: %(level)d %% of the block used") % {
                "client": contract.client.name,
                "level": max(new),
            }
            body = _(
                "%(level)d %% of the current hour block of “%(contract)s” is used.\n"
                "Balance left: %(balance)s (h:mm)."
            ) % {"level": max(new), "contract": contract, "balance": _hm(contract.balance_minutes)}
            return subject, body

        _queue(contract, content)
    return new


def balance_check_on_commit(contract: Contract) -> None:
    """After the draw commits, in the worker: the technician's request does not wait for it."""
    from contracts.tasks import balance_check_task

    tenant_id, contract_id = contract.tenant_id, contract.pk
    transaction.on_commit(lambda: balance_check_task.delay(tenant_id, contract_id))


@receiver(hour_block_purchased)
@transaction.atomic
def announce_auto_renewal(sender, block_id, contract_id, **kwargs):
    """Runs after the draw that renewed commits, in that request and the tenant's scope (a
    TenantSignal's receiver): it only queues the e-mail."""
    block = HourBlock.objects.select_related("contract__client").filter(pk=block_id).first()
    if block is None or block.origin != BlockOrigin.AUTO_RENEW:
        return
    contract = block.contract
    if not _record(contract, block, BalanceWarning.RENEWED, 0):
        return
    balance = Contract.objects.get(pk=contract.pk).balance_minutes

    def content():
        subject = _("Prepaid hours for %(client)s: a new block was added") % {"client": contract.client.name}
        body = _(
            "The balance of “%(contract)s” fell under its threshold, so a block of %(block)s (h:mm) "
            "for %(price)s was added automatically. Balance now: %(balance)s (h:mm)."
        ) % {"contract": contract, "block": _hm(block.minutes), "price": block.price, "balance": _hm(balance)}
        return subject, body

    _queue(contract, content)

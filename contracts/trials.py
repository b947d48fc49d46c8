"""Free trials: N days before a managed contract's trial ends (14 by default), its account
managers and the client's contacts are reminded, once, with the client's choices (keep the
tier, change it, or cancel) linked in the portal. Billing shows the trial's months at their
value with a 100 % discount (billing.sources)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from contracts.choices import ContractStatus
from contracts.models import Contract
from contracts.notifications import account_managers, portal_contacts
from msp.links import site_url
from msp.mail import compose, email_queue
from msp.models import NotificationKind
from msp.notifications import notify

TRIAL_REMINDER_DAYS = 14


def trials_ending(today: date, days: int = TRIAL_REMINDER_DAYS):
    """Active contracts whose trial ends within `days` and that were not reminded yet."""
    return Contract.objects.filter(
        status=ContractStatus.ACTIVE,
        trial_end__isnull=False,
        trial_reminded_at__isnull=True,
        trial_end__gte=today,
        trial_end__lte=today + timedelta(days=days),
    )


@transaction.atomic
def trial_remind(contract_id: int) -> bool:
    """Remind once (the row lock and `trial_reminded_at` decide): False if already done."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("client", "tenant", "tier")
        .filter(pk=contract_id, trial_reminded_at__isnull=True)
        .first()
    )
    if contract is None or contract.trial_end is None:
        return False
    contract.trial_reminded_at = timezone.now()
    contract.save(update_fields=["trial_reminded_at"])
    tenant = contract.tenant

    def content():
        subject = _("The free trial of %(tier)s for %(client)s ends on %(day)s") % {
            "tier": contract.tier.name if contract.tier_id else contract,
            "client": contract.client.name,
            "day": date_format(contract.trial_end, "DATE_FORMAT"),
        }
        body = _(
            "From the day after, the monthly fee is billed in full. Keep the plan as it is, choose "
            "another one, or cancel before then: your choices are in the client portal."
        )
        return subject, body

    with translation.override(tenant.language):
        subject, body = content()
        link = site_url("portal:offers")
        for address, name in portal_contacts(contract):
            email_queue(
                compose(tenant=tenant, to=[address], subject=subject, body=body, name=name, link=link),
                tenant_id=tenant.pk,
            )
    notify(
        tenant=tenant,
        memberships=account_managers(contract),
        kind=NotificationKind.TRIAL_ENDING,
        content=content,
        url=contract.get_absolute_url(),
        target=contract,
    )
    return True


def trial_reminders(today: date | None = None) -> list[int]:
    """Remind every trial of the active scope that is due; returns the contracts reminded."""
    today = today or timezone.localdate()
    return [pk for pk in trials_ending(today).values_list("pk", flat=True) if trial_remind(pk)]

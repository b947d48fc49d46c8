"""Writes of contracts/: the catalogue with SLA seeding (catalog.py), contracts (contracts.py),
hour blocks and the ledger (hours.py), and what they share (common.py).

The catalogue's and contracts' services are re-exported here, so callers import them from
`contracts.services`; the hours services are imported from `contracts.services.hours`.
"""

from contracts.services.catalog import (  # noqa: F401
    SEED_SERVICES,
    SEED_TIERS,
    TIER_FLAG_FEATURES,
    recurring_service_delete,
    recurring_service_save,
    recurring_service_validate,
    sla_seed,
    tier_clean_features,
    tier_clean_prices,
    tier_delete,
    tier_save,
    tier_set_prices,
    tier_validate,
    tiers_seed,
)
from contracts.services.common import MAX_AMOUNT, delete_blockers  # noqa: F401
from contracts.services.contracts import (  # noqa: F401
    CONTRACT_MONEY_FIELDS,
    contract_delete,
    contract_save,
    contract_validate,
)
from contracts.services.sla import (  # noqa: F401
    business_calendar_load_holidays,
    business_calendar_save,
    sla_policy_save,
)

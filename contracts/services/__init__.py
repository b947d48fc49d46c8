"""Writes of contracts/: the catalogue and contracts (catalog.py) and offers (offers.py).

Re-exported here so callers import from `contracts.services` whichever module a rule lives in.
"""

from contracts.services.catalog import (  # noqa: F401
    CONTRACT_MONEY_FIELDS,
    MAX_AMOUNT,
    SEED_SERVICES,
    SEED_TIERS,
    TIER_FLAG_FEATURES,
    contract_delete,
    contract_save,
    contract_validate,
    delete_blockers,
    recurring_service_delete,
    recurring_service_save,
    recurring_service_validate,
    tier_clean_features,
    tier_clean_prices,
    tier_delete,
    tier_save,
    tier_set_prices,
    tier_validate,
    tiers_seed,
)
from contracts.services.offers import (  # noqa: F401
    OFFER_CLOSED,
    offer_accept,
    offer_create,
    offer_decline,
    offer_delete,
    offer_send,
    offer_services,
    offer_tiers,
)

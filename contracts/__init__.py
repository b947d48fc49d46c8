"""Service tiers, SLA policies and calendars, offers, contracts, hour blocks and the hour ledger (see SPEC.md; filled in by its issue)."""

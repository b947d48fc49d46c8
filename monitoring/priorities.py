"""A new alert's ticket priority: from its severity and the asset's kind, tuned per check.

The rule an MSP's dispatcher applies by hand: a critical problem on a server or a network
device stops a whole office (P1); on one person's laptop it stops one person (P2). Well-known
checks move from there: a failed backup is never below P2 on a server (the next disk failure
is a disaster), an offline desktop is P4 (people switch them off at night), a CPU spike is one
step calmer (they pass), an antivirus finding one step more urgent (it spreads). Any other
check name (RMM tools name their own) takes the plain rule.
"""

from assets.choices import AssetKind
from monitoring.choices import ANTIVIRUS, BACKUP_FAILED, CPU, OFFLINE, PATCH_MISSING, WARRANTY, Severity
from tickets.choices import Priority

ORDER = [Priority.P1, Priority.P2, Priority.P3, Priority.P4]
SHARED = frozenset({AssetKind.SERVER, AssetKind.NETWORK})

BASE = {
    (Severity.CRITICAL, True): Priority.P1,
    (Severity.CRITICAL, False): Priority.P2,
    (Severity.WARNING, True): Priority.P2,
    (Severity.WARNING, False): Priority.P3,
    (Severity.INFO, True): Priority.P4,
    (Severity.INFO, False): Priority.P4,
}
# Steps towards P1 (positive) or P4 (negative), per well-known check.
STEPS = {CPU: -1, ANTIVIRUS: +1}
# The least urgent a check may be (P4 is the default floor), per shared or personal device.
FLOORS = {
    (BACKUP_FAILED, True): Priority.P2,
    (BACKUP_FAILED, False): Priority.P3,
    (ANTIVIRUS, False): Priority.P3,
}
# The most urgent a check may be: proactive checks are planned work, not emergencies.
CEILINGS = {
    (OFFLINE, False): Priority.P4,
    (WARRANTY, True): Priority.P3,
    (WARRANTY, False): Priority.P4,
    (PATCH_MISSING, True): Priority.P3,
    (PATCH_MISSING, False): Priority.P4,
}


def alert_priority(*, check: str, severity: str, asset_kind: str) -> str:
    shared = asset_kind in SHARED
    name = check.strip().lower()
    index = ORDER.index(BASE[(severity, shared)]) - STEPS.get(name, 0)
    index = min(max(index, 0), len(ORDER) - 1)
    floor = FLOORS.get((name, shared))
    if floor is not None:
        index = min(index, ORDER.index(floor))
    ceiling = CEILINGS.get((name, shared))
    if ceiling is not None:
        index = max(index, ORDER.index(ceiling))
    return ORDER[index]

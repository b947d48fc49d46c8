"""One monitoring message, whatever format it came in: what the ingestion service files.

The native API format, Alertmanager's webhook and a mapped generic webhook are each turned
into these by their adapter (``monitoring.adapters``); the sweeps build them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monitoring.choices import MessageStatus

ALERT = "alert"
HEARTBEAT = "heartbeat"
MAX_BATCH = 1000


@dataclass
class Message:
    type: str  # ALERT or HEARTBEAT
    hostname: str = ""
    serial: str = ""
    check: str = ""
    severity: str = ""
    status: str = MessageStatus.PROBLEM
    value: str = ""
    message: str = ""
    occurred_at: datetime | None = None
    # When the sender last saw the problem, if not when it began (Alertmanager re-sends a
    # firing alert with its first startsAt): an open alert's last seen. Default: occurred_at.
    seen_at: datetime | None = None
    # Heartbeats: what the agent knows of the machine (None: it did not say).
    operating_system: str | None = None
    missing_patches: int | None = None
    last_patched: datetime | None = None
    # The sender's own name for the alert (Alertmanager's fingerprint) and a sweep's crossing.
    external_id: str = ""
    marker: str = ""
    # The asset, when the sender already knows it (the sweeps).
    asset_id: int | None = None
    raw: dict = field(default_factory=dict)

    @property
    def is_heartbeat(self) -> bool:
        return self.type == HEARTBEAT

    @property
    def is_recovery(self) -> bool:
        return self.type == ALERT and self.status == MessageStatus.OK

    @property
    def ident(self) -> tuple[str, str]:
        return (self.hostname.strip().lower(), self.serial.strip())

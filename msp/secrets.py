"""Secrets the application must read back (a mailbox's IMAP password, a tenant's SMTP password),
stored encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``).

The key is ``FIELD_ENCRYPTION_KEY`` when set (a Fernet key: ``Fernet.generate_key()``), else
derived from ``SECRET_KEY`` with HKDF, so a fresh install needs no setting; rotating
SECRET_KEY without setting FIELD_ENCRYPTION_KEY to the old derivation makes stored passwords
unreadable (``reveal`` then answers ``None`` and the page asks for the password again).
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "fernet:"


@cache
def _fernet(secret_key: str, explicit: str) -> Fernet:
    if explicit:
        return Fernet(explicit.encode())
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"msp.secrets").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    return _fernet(settings.SECRET_KEY, getattr(settings, "FIELD_ENCRYPTION_KEY", "") or "")


def conceal(plain: str) -> str:
    """The stored form of `plain` ("" stays "": no secret set)."""
    if not plain:
        return ""
    return PREFIX + fernet().encrypt(plain.encode()).decode()


def reveal(stored: str) -> str | None:
    """The secret back from its stored form; "" for none, None when it cannot be read (the key
    changed, or the value was tampered with)."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return None
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        return None

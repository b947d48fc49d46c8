"""Login throttling: counts failed attempts only, per username and per client address.

Shared by the browser login and the API token endpoint. Uses the cache, which is Redis in
production (so every web process sees the same counts) and the database otherwise.
"""

from django.conf import settings
from django.core.cache import cache

# An office behind one address has many people: allow it more failures than one username.
_ADDRESS_FACTOR = 4


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _keys(username: str, request) -> list[tuple[str, int]]:
    limit = settings.LOGIN_FAILURE_LIMIT
    return [
        (f"login-failures:user:{username.strip().lower()}", limit),
        (f"login-failures:addr:{_client_address(request)}", limit * _ADDRESS_FACTOR),
    ]


def login_blocked(username: str, request) -> bool:
    return any(cache.get(key, 0) >= limit for key, limit in _keys(username, request))


def login_failed(username: str, request) -> None:
    for key, _limit in _keys(username, request):
        cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_succeeded(username: str, request) -> None:
    cache.delete(_keys(username, request)[0][0])

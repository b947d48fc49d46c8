"""Run functions at the same moment from separate threads (so separate database connections)."""

import threading

from django.db import connections


def run_at_once(workers, *, timeout: int = 120) -> list[Exception]:
    """Start every function together (a barrier) and wait; the exceptions they raised."""
    errors, start = [], threading.Barrier(len(workers))

    def work(fn):
        try:
            start.wait()
            fn()
        except Exception as error:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(fn,)) for fn in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors


def answers_at_once(requests, *, timeout: int = 120) -> list[int]:
    """Send requests at once (each a function that sends one and returns its response, through
    its own client) and return their status codes, in order. A request that raised (a 500 in
    a test client re-raises) fails the caller."""
    codes: list[int | None] = [None] * len(requests)

    def send(index, request):
        codes[index] = request().status_code

    errors = run_at_once([lambda i=i, r=r: send(i, r) for i, r in enumerate(requests)], timeout=timeout)
    assert errors == [], errors
    return codes

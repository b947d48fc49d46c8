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

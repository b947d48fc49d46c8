from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task
def sessions_clear_expired_task() -> int:
    """Delete expired browser sessions (what `clearsessions` does), returning how many went."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def idempotency_purge_task() -> int:
    """Forget Idempotency-Keys older than a day."""
    from msp.idempotency import idempotency_purge

    return idempotency_purge()

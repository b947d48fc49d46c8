from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from msp.tenant_tasks import tenant_task


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


@tenant_task(bind=True, acks_late=True, max_retries=None)  # the row's attempts bound the retries
def email_send_task(self, tenant_id: int, email_id: int) -> str:
    """Send a queued e-mail (msp.mail); on a passing failure, again later with backoff."""
    from msp.mail import email_send

    attempt = email_send(email_id=email_id)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.outcome


@shared_task
def email_requeue_stale_task() -> int:
    """Beat: hand queued e-mails whose task was lost to the worker again."""
    from msp.mail import email_requeue_stale

    return email_requeue_stale()

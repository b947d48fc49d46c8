# Production image for web, worker and beat (see docker-compose.yml).
# Bookworm, the same Debian release CI runs on, so the WeasyPrint/Pango libraries match.
FROM python:3.13-slim-bookworm

# PYTHONPATH: the source tree in /app (templates/ and locale/ beside the packages) comes
# before site-packages on sys.path, so BASE_DIR is /app whatever the entry point.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    MSP_VAR_DIR=/app/var \
    DEBUG=false

# libpq-dev + gcc: psycopg2 builds from source. Pango/HarfBuzz + DejaVu: WeasyPrint's
# runtime. gettext: msgfmt compiles locale/*.po at build time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpq-dev gcc \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu \
        gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app

WORKDIR /app
COPY . /app

RUN pip install . \
    && rm -rf build ./*.egg-info \
    && find . -name '*.po' -not -path './var/*' -print0 \
        | xargs -0 -r -n 1 sh -c 'msgfmt --check-format -o "${0%.po}.mo" "$0"' \
    && mkdir -p /app/var/static /app/var/media /app/var/celery /app/var/attachments

# Static files are collected into the image too, not only by web at start: worker and beat
# render templates (PDFs, emails) and whitenoise's manifest storage needs the manifest in
# every container. The dummy key and host exist only for this build step.
RUN SECRET_KEY=collectstatic-build-only ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput \
    && chown -R app:app /app/var

USER app

EXPOSE 8000

# docker-compose.yml overrides this per service; alone the image serves the web app.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py collectstatic --noinput && exec gunicorn msp.wsgi:application --bind 0.0.0.0:8000 --access-logfile -"]

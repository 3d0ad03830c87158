# PIE images (README.rst, "Deploying"). The default target (production, the last stage) is
# gunicorn serving pie.wsgi through pie/docker_gunicorn_configuration.py;
# `docker build --target consumer .` builds the event-bus consumer. Both use the production
# settings: configuration comes from the environment (SECRET_KEY, DATABASE_URL, ...) and from
# a YAML file named by PIE_CFG (/edx/etc/pie.yml, empty in the image). Migrations are a
# deployment step of their own, run once per release before the new containers start:
#     docker run --rm --env-file pie.env pie python manage.py migrate --no-input
# scripts/check-container-commands.sh runs this file's commands from a clean clone in CI.

# --- build: the virtualenv, mysqlclient compiled against the MariaDB client headers.
FROM python:3.12-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc pkg-config libmariadb-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/ /requirements/
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r /requirements/production.txt

# --- runtime: the MariaDB client library, the virtualenv and the code, as a user without rights.
FROM python:3.12-slim-bookworm AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pie \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /app pie \
    && mkdir -p /edx/etc && : > /edx/etc/pie.yml
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=10001:10001 . /app
# PIE_CFG: the YAML configuration file, at the Open edX path (/edx/etc/<service>.yml, as
# credentials' CREDENTIALS_CFG). The image's file is empty, so the environment alone
# configures PIE; mount yours over it (a Kubernetes Secret, docker run -v), or set PIE_CFG to
# another path. A PIE_CFG naming a file that is not there stops PIE with one line.
ENV PATH="/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=pie.settings.production \
    PIE_CFG=/edx/etc/pie.yml \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# By number, so that a runtime refusing root (runAsNonRoot) can tell it is not root.
USER 10001:10001
# The static files (admin, Swagger UI) are collected into the image; WhiteNoise serves them.
# The build settings give every required setting a placeholder: nothing is reached.
RUN DJANGO_SETTINGS_MODULE=pie.settings.build python manage.py collectstatic --no-input --verbosity 0

# One process per container, each with a consumer name of its own (PIE_EVENT_BUS_CONSUMER_NAME,
# default the container's host name), all in the group PIE_EVENT_BUS_GROUP. tini is PID 1, so
# `docker stop` (SIGTERM) ends the consumer at once, as outside a container: an event it had
# not stored stays pending, and is read again when it starts under the same name.
FROM runtime AS consumer
ENTRYPOINT ["tini", "--"]
CMD ["python", "manage.py", "consume_certificate_events"]

FROM runtime AS production
EXPOSE 18781
# The container is healthy while PIE answers /health/ (the database holds PIE's schema).
# The slim image has no curl: Python's urllib asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:18781/health/', timeout=4).status != 200)"]
ENTRYPOINT ["tini", "--"]
# A missing setting stops the container with one line naming it (pie.settings.required); the
# system checks then refuse an unsound JWT configuration before gunicorn serves a request.
CMD ["sh", "-c", "python manage.py check --deploy --fail-level ERROR && exec gunicorn -c pie/docker_gunicorn_configuration.py pie.wsgi:application"]

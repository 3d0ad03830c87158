# PIE images. The default target (production, the last stage) is gunicorn serving pie.wsgi;
# `docker build --target consumer .` builds the event-bus consumer. Both use the production
# settings: configuration comes from the environment (SECRET_KEY, DATABASE_URL,
# ALLOWED_HOSTS, EVENT_BUS_..., ...) or from a YAML file named by PIE_CFG.
FROM python:3.12-slim-bookworm AS build

# mysqlclient compiles against the MariaDB client headers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc pkg-config libmariadb-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/ /requirements/
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r /requirements/production.txt

FROM python:3.12-slim-bookworm AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app pie
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=pie:pie . /app
ENV PATH="/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=pie.settings.production \
    PYTHONUNBUFFERED=1
USER pie
RUN SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/unused.sqlite3 CACHE_REDIS_URL=redis://unused \
    python manage.py collectstatic --no-input --verbosity 0

# One process per container, each with a consumer name of its own (PIE_EVENT_BUS_CONSUMER_NAME,
# default the container's host name), all in the group PIE_EVENT_BUS_GROUP. tini is PID 1, so
# `docker stop` (SIGTERM) ends the consumer at once, as outside a container: an event it had
# not stored stays pending, and is read again when it starts under the same name.
FROM runtime AS consumer
ENTRYPOINT ["tini", "--"]
CMD ["python", "manage.py", "consume_certificate_events"]

FROM runtime AS production
EXPOSE 18781
# The system checks run first, so a missing JWT key set or secret stops the container with
# a clear message instead of serving requests that would all be refused.
CMD ["sh", "-c", "python manage.py check --deploy --fail-level ERROR && exec gunicorn -c pie/docker_gunicorn_configuration.py pie.wsgi:application"]

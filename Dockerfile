# PIE production image: gunicorn serving pie.wsgi with the production settings.
# Configuration comes from the environment (SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, ...)
# or from a YAML file named by PIE_CFG.
FROM python:3.12-slim-bookworm AS build

# mysqlclient compiles against the MariaDB client headers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc pkg-config libmariadb-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/ /requirements/
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r /requirements/production.txt

FROM python:3.12-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
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
EXPOSE 18781
# The system checks run first, so a missing JWT key set or secret stops the container with
# a clear message instead of serving requests that would all be refused.
CMD ["sh", "-c", "python manage.py check --deploy --fail-level ERROR && exec gunicorn -c pie/docker_gunicorn_configuration.py pie.wsgi:application"]

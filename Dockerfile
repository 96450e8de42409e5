# App image shared by the api, worker and migrate services of docker-compose.yml.
#   api:     python -m api.serve   (HOTLINE_API_HOST=0.0.0.0; uvicorn's options: config.py uvicorn_options)
#   worker:  python worker.py            (default CMD)
#   migrate: alembic upgrade head
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN groupadd --system --gid 10001 hotline \
    && useradd --system --uid 10001 --gid hotline --home-dir /app --shell /usr/sbin/nologin hotline

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that a code change does not
# reinstall them (this layer is rebuilt only when pyproject.toml changes).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY domain/ ./domain/
COPY workflows/ ./workflows/
COPY activities/ ./activities/
COPY api/ ./api/
COPY db/ ./db/
COPY operations/ ./operations/
COPY delivery/ ./delivery/
# The rules reference the API serves at /reference (api/docs_pages.py).
COPY docs/ ./docs/
COPY worker.py config.py hotline_logging.py alembic.ini ./

# Installs the project itself (dependencies are already satisfied). The
# processes still run from /app, which also holds alembic.ini, db/migrations
# and the package data (domain/calendar_data).
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info \
    && mkdir -p /app/data \
    && chown hotline:hotline /app/data

# The workflow sandbox re-imports workflow modules for every new ticket: ship their bytecode.
RUN python -m compileall -q /app

USER hotline

EXPOSE 8000

CMD ["python", "worker.py"]

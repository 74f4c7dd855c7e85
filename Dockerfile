# syntax=docker/dockerfile:1
# The scheduler service in a container; the database, outbox, archive and logs live on the /data volume.
# The same image runs every role of a larger setup (collector workers, console, Dask scheduler and
# workers): deploy/compose.yaml.
#
#   docker build -t signaux-faibles .
#   docker run -d --name signals --init --restart unless-stopped --stop-timeout 960 \
#     -v signals-data:/data -v "$PWD/sources.yaml:/config/sources.yaml:ro" \
#     -e SIGNALS_RECIPIENTS='["veille@example.fr"]' -e SIGNALS_SMTP__HOST=smtp.example.fr \
#     signaux-faibles
#   docker exec signals signals status          # health; `signals runs`, `signals schedule --list` too
#
# torch must be the CPU build (the PyPI default brings gigabytes of CUDA): the build reads it from the
# PyTorch CPU index (TORCH_INDEX; point it to a local mirror or wheelhouse for an offline build) and
# fails if a CUDA build got in.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PIP_EXTRA_INDEX_URL=${TORCH_INDEX} \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends make build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt Makefile README.md alembic.ini scheduler.py ./
COPY signals signals
COPY collectors collectors
COPY models models
COPY reports reports
COPY migrations migrations
COPY deploy/dask deploy/dask
RUN make install PYTHON=python3.11 \
 && .venv/bin/python -c "import sys, torch; sys.exit('CUDA build of torch: set TORCH_INDEX' if torch.version.cuda else 0)"

FROM ${PYTHON_IMAGE}
# Run-time libraries: OpenMP (embeddings), Pango/HarfBuzz and fonts (WeasyPrint PDF), tini (PID 1).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini libgomp1 libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-dejavu-core fonts-dejavu-extra \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data signals \
 && mkdir -p /data /config \
 && chown signals /data
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SIGNALS_HOME=/data \
    SIGNALS_SOURCES_FILE=/config/sources.yaml \
    SIGNALS_LOG_JSON=true \
    DASK_CONFIG=/app/deploy/dask
WORKDIR /data
USER signals
VOLUME ["/data"]
# SIGTERM: the running stage finishes (schedule.stop_timeout_s, 15 min); give docker stop that long.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=2m --timeout=30s --start-period=2m CMD ["signals", "status", "--check"]
ENTRYPOINT ["tini", "--"]
CMD ["signals", "schedule"]

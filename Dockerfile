# newsindex API and search page, served by gunicorn.
#   docker build -t newsindex .
#   docker run -p 8000:8000 -v newsindex-data:/data newsindex
#   docker exec <container> newsindex ingest /data/articles
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    NEWSINDEX_HOST=0.0.0.0 NEWSINDEX_PORT=8000 \
    NEWSINDEX_INDEX_DIR=/data/index NEWSINDEX_KEYS_FILE=/data/keys.json

WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml Makefile README.md ./
COPY config ./config
COPY index ./index
COPY service ./service
RUN make install PYTHON=python3 && ln -s /app/.venv/bin/newsindex /usr/local/bin/newsindex

RUN useradd --create-home newsindex && mkdir -p /data && chown newsindex /data
USER newsindex
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["newsindex", "serve"]

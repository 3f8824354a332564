FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events events
COPY services services
COPY projections projections
RUN pip install --no-cache-dir . && useradd --system --no-create-home okr
USER okr
# Liveness: the process answers HTTP (compose.yaml asks /readyz, which also checks NATS,
# the streams, PostgreSQL and the projection). The slim image has no curl: Python asks.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('OKR_HTTP_PORT', '8080') + '/healthz', timeout=4)"]
# URLs come from compose.yaml; without them the service would start embedded servers
# (then set OKR_DATA_DIR to a writable volume).
CMD ["okr", "serve"]

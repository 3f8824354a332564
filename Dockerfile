FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events events
COPY services services
COPY projections projections
RUN pip install --no-cache-dir . && useradd --system --no-create-home okr
USER okr
# URLs come from compose.yaml; without them the service would start embedded servers
# (then set OKR_DATA_DIR to a writable volume).
CMD ["okr", "serve"]

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY events events
COPY services services
COPY projections projections
RUN pip install --no-cache-dir .
# URLs come from compose.yaml; without them the service would start embedded servers.
CMD ["okr", "serve"]

# The upstream image: one image for the coordinator, the workers and one-off CLI commands
# (`docker run IMAGE worker -m examples.orders`). Built by compose/docker-compose.yml.
FROM python:3.11-slim

# UPSTREAM_HOME: embedded state and the filesystem IO manager's outputs live there (not in
# /app, which the non-root user cannot write); compose mounts one shared volume on it so
# workers see each other's outputs.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UPSTREAM_HOME=/data

WORKDIR /app

# What the wheel build needs (hatchling reads README.md as the package readme).
COPY pyproject.toml README.md ./
COPY src/ src/
# The examples extra brings pandas for examples.orders. The OpenTelemetry SDK and its
# OTLP/HTTP exporter, which ship traces to Jaeger, are dependencies of the package; the
# import fails the build if they ever stop being installed.
RUN pip install --no-cache-dir '.[examples]' \
    && python -c "import opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter"

# Code locations: `-m examples.orders` is imported from the working directory (/app).
COPY examples/ examples/

# Run as a non-root user. /data is created owned by that user, so a fresh named volume
# mounted there starts with the same owner and is writable.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home upstream \
    && mkdir -p /data \
    && chown upstream:upstream /data
USER upstream

# Exec form: `upstream` is the process that receives SIGTERM, and workers drain on it.
ENTRYPOINT ["upstream"]
CMD ["--help"]

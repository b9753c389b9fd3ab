# syntax=docker/dockerfile:1
# podcalc: slim, non-root, gunicorn. Build: docker build -t podcalc .
# Pinned to a patch release; pin the digest too where the registry is reachable.
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir -p calc podcalc api/static && touch calc/__init__.py podcalc/__init__.py api/__init__.py \
    && /venv/bin/pip install -c constraints.txt . \
    && /venv/bin/pip uninstall -y podcalc
COPY calc ./calc
COPY podcalc ./podcalc
COPY api ./api
RUN /venv/bin/pip install --no-deps .

FROM python:3.11.7-slim-bookworm
LABEL org.opencontainers.image.title="podcalc" \
      org.opencontainers.image.description="Kubernetes resource and QoS calculator" \
      org.opencontainers.image.version="1.0.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="README.md; the API contract is served at /openapi.yaml"
RUN useradd --system --uid 10001 --no-create-home podcalc
COPY --from=build /venv /venv
WORKDIR /app
COPY gunicorn.conf.py openapi.yaml ./
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PODCALC_BIND=0.0.0.0:8080 \
    PODCALC_OPENAPI_PATH=/app/openapi.yaml
# Writes nothing but /tmp (metrics files): runs with a read-only root filesystem.
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "api.wsgi:app"]

# trialmatch service image: uvicorn (`trialmatch serve`) as a non-root user, the trial store on a volume.
#   docker build -t trialmatch .
#   docker run --rm -p 8000:8000 -v trialmatch-data:/app/var trialmatch

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY . .
# Editable install: the package stays in /app beside migrations/ and criteria/, which the
# service finds relative to its own source (app/config.py REPO_ROOT).
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -e .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    TRIALMATCH_HOST=0.0.0.0 \
    TRIALMATCH_PORT=8000
RUN groupadd --system --gid 10001 trialmatch \
    && useradd --system --uid 10001 --gid trialmatch --home-dir /app --no-create-home trialmatch
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
RUN mkdir -p /app/var && chown trialmatch:trialmatch /app/var
USER 10001:10001
VOLUME ["/app/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["trialmatch", "serve"]

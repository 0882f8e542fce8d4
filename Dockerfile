FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY messaging messaging
COPY analytics analytics
COPY storage storage
COPY ingest ingest
COPY maintenance maintenance
COPY api api
COPY simulators simulators
COPY liftwatch liftwatch
RUN pip install --no-cache-dir . && useradd --system liftwatch
USER liftwatch
ENTRYPOINT ["liftwatch"]

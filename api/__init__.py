"""The FastAPI service: REST API, auth and scopes, SSE, the one-map web UI."""

"""The baseline: a bare Flask JSON endpoint, served under the same gunicorn configuration."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}

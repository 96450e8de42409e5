"""`python -m api.serve`: the API under uvicorn, with the options `Settings.uvicorn_options` builds.

`make run` (run_local.py), the Dockerfile and docker-compose.yml all start the API this way, so the body,
header, keep-alive and concurrency bounds and the JSON log lines are the same everywhere. Configured by
HOTLINE_* settings only (HOTLINE_API_HOST, HOTLINE_API_PORT, HOTLINE_API_* bounds, HOTLINE_LOG_LEVEL).
"""

from __future__ import annotations

import uvicorn

from config import get_settings


def main() -> None:
    uvicorn.run("api.app:create_app", factory=True, **get_settings().uvicorn_options())


if __name__ == "__main__":
    main()

"""The settings module read in a fresh interpreter with a given environment, as a web node or
a worker started with that environment reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Variables of the running test process that must not leak into the fresh settings.
_ENVIRONMENT_OF_THE_RUN = ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME",
                           "AWS_S3_ENDPOINT_URL", "AWS_S3_REGION_NAME", "AWS_LOCATION",
                           "AWS_S3_ADDRESSING_STYLE", "DJANGO_SETTINGS_MODULE", "DEMO_MODE")

_READ_SETTINGS = """
import json, sys
from portal.settings import base
print(json.dumps({name: getattr(base, name, None) for name in sys.argv[1:]}, default=str))
"""


def settings_with(environment: Mapping[str, str], *names: str) -> dict[str, Any]:
    """The settings ``names`` of ``portal.settings.base`` with only ``environment`` set on top
    of demo mode (so that no real secret is needed)."""
    env = {k: v for k, v in os.environ.items() if k not in _ENVIRONMENT_OF_THE_RUN}
    with tempfile.TemporaryDirectory(prefix="spt-settings-") as var_dir:
        env.update({"DEMO_MODE": "1", "SPT_VAR_DIR": var_dir, **environment})
        done = subprocess.run([sys.executable, "-c", _READ_SETTINGS, *names], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    values: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return values

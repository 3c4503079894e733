"""Start the web server, the Celery worker and Celery beat together; Ctrl-C stops all three.

Used by `make run` on the embedded default (SQLite, file-system broker, e-mails as files).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = os.environ.get("PORT", "8000")
# The links in e-mails lead to this server unless the environment names another base: the web
# process and the worker (which renders combined e-mails) inherit it.
BASE_URL = os.environ.setdefault("PORTAL_BASE_URL", f"http://127.0.0.1:{PORT}")

ACCOUNTS = ("client, client2 (Horlogerie du Jura SA), client.leman (Chocolats du Léman SA), "
            "frontdesk, daily, servicedesk, expert, rd, sales, admin")


def main() -> int:
    var = Path(os.environ.get("SPT_VAR_DIR", ROOT / "var"))
    (var / "celery").mkdir(parents=True, exist_ok=True)
    commands = {
        "web": [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
                "--workers", "2", "--access-logfile", "-"],
        "worker": [str(BIN / "celery"), "-A", "portal", "worker", "--pool", "solo",
                   "--loglevel", "INFO"],
        "beat": [str(BIN / "celery"), "-A", "portal", "beat", "--loglevel", "INFO",
                 "--schedule", str(var / "celery" / "beat-schedule")],
    }
    processes = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in commands.items()}
    print(f"\nSPT Portal: http://127.0.0.1:{PORT}/  (Ctrl-C stops web, worker and beat)")
    print(f"Links in e-mails: {BASE_URL}/")
    print(f"Demo accounts, password 'demo': {ACCOUNTS}\n", flush=True)
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} stopped (exit {process.returncode}); stopping the rest.")
                    stopping = True
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A Jupyter server (JupyterLab, and Notebook 7 and Voila when installed: one server serves
all three) and a Debian Chromium driven by Playwright, for real-browser tests."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MOLAUDIT_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _molaudit_jupyter_path() -> str:
    from molaudit.notebook import jupyter_data_path

    return jupyter_data_path()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """Start JupyterLab on 127.0.0.1 in its own process group; yield (base_url, token, root)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    root = tmp_path_factory.mktemp("lab")
    config = tmp_path_factory.mktemp("jupyter_config")
    # the announcements pop-up would cover screenshots and clicks
    (config / "labconfig").mkdir()
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("runtime")),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path_factory.mktemp("workspaces")),
        "MOLAUDIT_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
        # molaudit's Voila template (nothing fetched from a CDN), as the README documents
        "JUPYTER_PATH": os.pathsep.join(
            p for p in (_molaudit_jupyter_path(), os.environ.get("JUPYTER_PATH", "")) if p
        ),
    }
    log = open(root / "jupyter.log", "w")  # noqa: SIM115 (closed in teardown)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            "--ServerApp.ip=127.0.0.1",
            "--allow-root",
            "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={root}",
            "--VoilaConfiguration.template=molaudit",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: teardown stops the server and kernels
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited: {(root / 'jupyter.log').read_text()[-2000:]}")
            time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        pytest.fail("jupyter lab did not start in 90 s")
    yield base, token, root
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / "jupyter.log", ARTIFACTS / "jupyter.log")


@pytest.fixture
def browser_page():
    """A Playwright page in Debian's Chromium; collects console errors and page errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--use-gl=swiftshader"]
        )
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        # every URL the page asks for: nothing may leave the machine (no CDN, no cloud)
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda request: page.requests.append(request.url))
        page.on("websocket", lambda ws: page.requests.append(ws.url))
        page.on(
            "pageerror",
            lambda exc: page.errors.append(f"pageerror: {exc} at {(exc.stack or '')[:600]}"),
        )
        page.on(
            "console",
            lambda msg: (
                page.errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        # an XSS payload that runs would call alert(): record it instead of blocking
        page.add_init_script("window.__alerts = []; window.alert = (m) => window.__alerts.push(m);")
        yield page
        context.close()
        browser.close()

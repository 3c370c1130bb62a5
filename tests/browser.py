"""Open a report in headless Chromium with networking blocked, as a reader opening a mail attachment.

Uses Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) through Selenium. Every
request the page attempts is recorded from the DevTools network log, console errors from the browser
log; the proxy points at a closed port and every host name resolves to nothing, so no request can
leave the machine whatever the page tries.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@dataclass
class PageVisit:
    console_errors: list[str]
    requests: list[str]  # every URL the page asked for besides the report itself
    title: str
    sections: list[str]  # ids of the page's <section> elements, in order
    figures: int  # inline SVG figures rendered with a non-zero size


def require_browser() -> None:
    """Skip where no browser is installed, unless EXECRL_REQUIRE_BROWSER=1 (CI), where that fails."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    if missing:
        if os.environ.get("EXECRL_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{', '.join(missing)} missing: apt-get install chromium chromium-driver")
        pytest.skip("headless Chromium is not installed (apt-get install chromium chromium-driver)")


def visit(report: Path, screenshot: Path) -> PageVisit:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1600", "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        url = report.resolve().as_uri()
        driver.get(url)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))
        sections = driver.execute_script("return [...document.querySelectorAll('section')].map(s => s.id)")
        figures = driver.execute_script(
            "return [...document.querySelectorAll('figure svg')].filter(s => s.getBoundingClientRect().width > 0).length")
        errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        requests = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requested = message["params"]["request"]["url"]
                if requested != url:
                    requests.append(requested)
        return PageVisit(errors, requests, driver.title, sections, figures)
    finally:
        driver.quit()

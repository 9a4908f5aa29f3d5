"""chromium.py - Debian's headless Chromium under selenium, as the page
tests (test_view, test_report) drive it: no network, no first-run work, a
profile of its own in the test's temporary folder. The caller quits it.
"""
import os


def chromium(tmp, window, logs=False):
    """A driver of a window "W,H" whose pages may take 60 s to load; logs:
    keep the performance and browser logs (driver.get_log)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--window-size=" + window,
              "--user-data-dir=" + os.path.join(tmp, "profile")):
        opts.add_argument(a)
    if logs:
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(60)
    return d

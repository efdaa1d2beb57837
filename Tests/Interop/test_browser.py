"""The live views in a real browser (Debian's chromium + chromedriver, driven by selenium): the portal reached from
app-portal-access creates an endpoint, shows a new message's attempt without reloading, explains a failing endpoint
and resends; the dashboard's counters move. With HERALD_SCREENSHOTS=DIR, screenshots of both views are written there.

Skipped when chromium or chromedriver is missing, unless HERALD_REQUIRE_BROWSER=1 (CI sets it)."""

import os
import shutil
import time
import uuid

import httpx
import pytest

from receiver import Receiver

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("HERALD_REQUIRE_BROWSER") == "1":
        raise RuntimeError("HERALD_REQUIRE_BROWSER=1 but chromium or chromedriver is not installed")
    pytest.skip("chromium and chromedriver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCREENSHOTS = os.environ.get("HERALD_SCREENSHOTS")


@pytest.fixture()
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, condition, timeout=20):
    # Live updates replace parts of the page (an endpoint's summary is re-rendered on each attempt), so an element a
    # condition just found may be gone when it reads it: look again rather than fail.
    return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)


def test_the_portal_creates_an_endpoint_shows_attempts_live_and_resends(herald, browser):
    token = herald.token()
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {token}"})
    uid = "portal-" + uuid.uuid4().hex[:6]
    api.post("/app", json={"name": "Acme Payments", "uid": uid}).raise_for_status()
    api.post("/event-type", json={"name": "invoice.paid", "description": "An invoice was paid in full.",
                                  "schemas": {"1": {"type": "object", "examples": [{"invoiceId": "inv_1", "amount": 4200}]}}})
    receiver = Receiver(lambda path, index: 500 if path == "/broken" else 204)
    try:
        url = api.post(f"/auth/app-portal-access/{uid}", json={}).json()["url"]
        browser.get(url)
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "title"), "Acme Payments"))
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "conn-text"), "live"))

        # Create an endpoint through the page.
        form = browser.find_element(By.ID, "create-form")
        form.find_element(By.NAME, "url").send_keys(receiver.url + "/hook")
        form.find_element(By.NAME, "description").send_keys("Production receiver")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "endpoints"), receiver.url + "/hook"))
        assert "Endpoint added." in browser.find_element(By.ID, "flash").text

        # A message sent through the API: its attempt shows up on the open page, no reload.
        api.post(f"/app/{uid}/msg", json={"eventType": "invoice.paid", "payload": {"invoiceId": "inv_9"}}).raise_for_status()
        wait(browser, lambda d: "204" in d.find_element(By.CSS_SELECTOR, "#endpoints details summary .badge").text)
        assert "Working" in browser.find_element(By.ID, "endpoints").get_attribute("textContent")

        # A failing endpoint: the page says why, and resends.
        api.post(f"/app/{uid}/endpoint", json={"url": receiver.url + "/broken", "description": "Staging"}).raise_for_status()
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "endpoints"), receiver.url + "/broken"))
        api.post(f"/app/{uid}/msg", json={"eventType": "invoice.paid", "payload": {"invoiceId": "inv_10"}}).raise_for_status()
        broken = wait(browser, lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, "#endpoints details")
                                               if "/broken" in b.get_attribute("textContent") and "500" in b.get_attribute("textContent")), False))
        broken.find_element(By.TAG_NAME, "summary").click()
        assert "See its attempts for why" in broken.text
        broken.find_element(By.CSS_SELECTOR, "button[data-act=attempts]").click()
        resend = wait(browser, lambda d: broken.find_element(By.CSS_SELECTOR, "button[data-resend]"))
        before = len(receiver.to("/broken"))
        resend.click()
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "flash"), "Message resent"))
        assert receiver.wait_for("/broken", before + 1, timeout=10)[-1]
        if SCREENSHOTS:
            browser.save_screenshot(os.path.join(SCREENSHOTS, "portal.png"))
    finally:
        receiver.close()


def test_the_dashboard_counters_move(herald, browser):
    token = herald.token()
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {token}"})
    uid = "dash-" + uuid.uuid4().hex[:6]
    receiver = Receiver()
    try:
        api.post("/app", json={"name": "Globex", "uid": uid}).raise_for_status()
        api.post(f"/app/{uid}/endpoint", json={"url": receiver.url + "/hook", "description": "Globex ERP"}).raise_for_status()
        browser.get(herald.url + "/dashboard#token=" + token)
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "conn-text"), "live"))
        assert "#token" not in browser.current_url  # the token leaves the address bar
        wait(browser, lambda d: d.find_element(By.ID, "v-mps").text != "—")
        before = float(browser.find_element(By.ID, "v-mps").text)
        for index in range(30):
            api.post(f"/app/{uid}/msg", json={"eventType": "invoice.paid", "payload": {"n": index}}).raise_for_status()
        wait(browser, lambda d: float(d.find_element(By.ID, "v-mps").text) > before)
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#attempts tr")) >= 10)
        assert "Globex" in browser.find_element(By.ID, "health").text
        if SCREENSHOTS:
            time.sleep(4)  # a few more stats points for the chart
            browser.save_screenshot(os.path.join(SCREENSHOTS, "dashboard.png"))
    finally:
        receiver.close()


def test_a_link_with_another_token_asks_before_switching(herald, browser):
    token = herald.token()
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {token}"})
    first, second = ("ask-" + uuid.uuid4().hex[:6] for _ in range(2))
    for uid, name in ((first, "First Corp"), (second, "Second Corp")):
        api.post("/app", json={"name": name, "uid": uid}).raise_for_status()
    first_url = api.post(f"/auth/app-portal-access/{first}", json={}).json()["url"]
    second_url = api.post(f"/auth/app-portal-access/{second}", json={}).json()["url"]
    browser.get(first_url)
    wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "title"), "First Corp"))
    browser.get(second_url)
    alert = wait(browser, expected_conditions.alert_is_present())
    assert "Switch" in alert.text
    alert.dismiss()  # keep the open session
    wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "title"), "First Corp"))
    browser.get(second_url)
    wait(browser, expected_conditions.alert_is_present()).accept()
    wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "title"), "Second Corp"))
    # The pages run with a policy that allows no inline script or style and no framing.
    policy = httpx.get(herald.url + "/portal").headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_the_portal_message_log_stays_readable_after_a_malformed_payload(herald, browser):
    token = herald.token()
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {token}"})
    uid = "log-" + uuid.uuid4().hex[:6]
    api.post("/app", json={"name": "Log Corp", "uid": uid}).raise_for_status()
    api.post(f"/app/{uid}/msg", json={"eventType": "order.paid", "eventId": "ord_1", "payload": {"n": 1}}).raise_for_status()
    refused = api.post(f"/app/{uid}/msg", content=b'{"eventType":"order.paid","payload":{"a": 1,}}',
                       headers={"content-type": "application/json"})
    assert refused.status_code == 422
    url = api.post(f"/auth/app-portal-access/{uid}", json={}).json()["url"]
    browser.get(url)
    wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "title"), "Log Corp"))
    browser.find_element(By.CSS_SELECTOR, "button[data-tab=messages]").click()
    wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "tab-messages"), "order.paid"))
    assert "Could not load" not in browser.find_element(By.TAG_NAME, "body").text


def test_delivery_settings_are_edited_in_the_portal_and_an_open_breaker_shows(herald, browser):
    token = herald.token()
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {token}"})
    uid = "policy-" + uuid.uuid4().hex[:6]
    receiver = Receiver(lambda path, index: 503)
    try:
        api.post("/app", json={"name": "Initech", "uid": uid}).raise_for_status()
        api.post(f"/app/{uid}/endpoint", json={"url": receiver.url + "/orders", "uid": "orders"}).raise_for_status()
        api.post(f"/app/{uid}/endpoint", json={"url": receiver.url + "/down", "uid": "down"}).raise_for_status()
        url = api.post(f"/auth/app-portal-access/{uid}", json={}).json()["url"]
        browser.get(url)
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "endpoints"), receiver.url + "/orders"))

        orders = next(b for b in browser.find_elements(By.CSS_SELECTOR, "#endpoints details") if "/orders" in b.get_attribute("textContent"))
        orders.find_element(By.TAG_NAME, "summary").click()
        orders.find_element(By.CSS_SELECTOR, "button[data-act=policy]").click()
        form = wait(browser, lambda d: orders.find_element(By.CSS_SELECTOR, "form[data-form=policy]"))
        form.find_element(By.NAME, "retrySchedule").send_keys("10, 60")
        form.find_element(By.NAME, "throttleRate").send_keys("25")
        form.find_element(By.NAME, "ordered").click()
        threshold = form.find_element(By.NAME, "failureThreshold")
        threshold.clear()
        threshold.send_keys("3")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "flash"), "Delivery settings saved."))
        policy = api.get(f"/app/{uid}/endpoint/orders/policy").json()
        assert policy["retrySchedule"] == [10, 60] and policy["ordering"] == "fifo"
        assert policy["circuitBreaker"] == {"enabled": True, "failureThreshold": 3, "cooldownSeconds": 30}
        assert api.get(f"/app/{uid}/endpoint/orders").json()["throttleRate"] == 25
        wait(browser, lambda d: "Delivery: in order, 25/s" in d.find_element(By.ID, "endpoints").get_attribute("textContent"))

        # Ten failures in a row open the "down" endpoint's breaker: the portal and the dashboard say so, live.
        assert api.put(f"/app/{uid}/endpoint/down/policy", json={"retrySchedule": [600], "circuitBreaker": {"failureThreshold": 2}}).status_code == 200
        api.put(f"/app/{uid}/endpoint/orders/policy", json={}).raise_for_status()
        for index in range(3):
            api.post(f"/app/{uid}/msg", json={"eventType": "invoice.paid", "payload": {"n": index}}).raise_for_status()
        wait(browser, lambda d: "circuit breaker open" in d.find_element(By.ID, "endpoints").get_attribute("textContent"))
        down = next(b for b in browser.find_elements(By.CSS_SELECTOR, "#endpoints details") if "/down" in b.get_attribute("textContent"))
        down.find_element(By.TAG_NAME, "summary").click()
        if SCREENSHOTS:
            browser.save_screenshot(os.path.join(SCREENSHOTS, "portal-policy.png"))
        browser.get(herald.url + "/dashboard#token=" + token)
        wait(browser, expected_conditions.alert_is_present()).accept()  # the tab switches from the app's token
        wait(browser, expected_conditions.text_to_be_present_in_element((By.ID, "health"), "circuit breaker open"))
        if SCREENSHOTS:
            browser.save_screenshot(os.path.join(SCREENSHOTS, "dashboard-breaker.png"))
    finally:
        receiver.close()

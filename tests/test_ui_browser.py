"""The chat window in headless Chromium: ask, follow a citation, open the letter, rate, add a letter.

Builds an index of the bundled letters (the real embedding model), serves the app on a free
loopback port and drives it with selenium. Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
XSS = "<img src=x onerror=alert(1)>"
# An uploaded letter must be new text (a fragment of a bundled letter would be merged with it).
UPLOADED = """Kamerbrief over de zwaluwstaartcommissie

Datum 3 maart 2024
Onderwerp Instelling zwaluwstaartcommissie

De zwaluwstaartcommissie adviseert het kabinet over de opvang van trekvogels op de Waddeneilanden.
De commissie telde in 2023 precies 4.321 overwinterende zwaluwstaarten. In haar rapport staat
letterlijk <script>alert('brief')</script> en <img src=x onerror=alert(2)> als voorbeeld van
ongewenste opmaak in digitale formulieren.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture()
def app_url(config):
    from index.build import build_index
    from rag.assistant import Assistant
    from ui.app import build_app, launch

    build_index(None, config)
    demo = build_app(lambda: Assistant.load(config=config), config)
    port = _free_port()
    launch(demo, "127.0.0.1", port, share=False, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture()
def browser(tmp_path):
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(f"browser tests need {CHROMIUM} and {CHROMEDRIVER} (./install.sh --test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in (
        "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync --window-size=1400,1000"
    ).split():
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium'}")
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_ask_cite_open_letter_rate_and_add_a_letter(app_url, browser, config, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 90)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(app_url)
    question = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))

    # Ask; the answer streams in and carries a clickable [1].
    question.send_keys("How many migrants returned voluntarily via REAN in 2023?", Keys.ENTER)
    marker = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#chat a.cite[href='#src-0-1']")))
    answer = browser.find_element(By.CSS_SELECTOR, "#chat .answer").text
    assert "[1]" in answer and marker.text == "[1]"

    # Choosing [1] brings its source card into view, highlighted, with the quoted sentence marked.
    marker.click()
    card = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#sources #src-0-1.active")))
    marks = [m.text for m in card.find_elements(By.CSS_SELECTOR, "mark.support")]
    assert marks and all(_normal(m) in _normal(answer) for m in marks)
    assert "REAN" in card.text
    assert browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight;", card
    )
    browser.save_screenshot(str(ARTIFACTS / "ui.png"))

    # "Open letter" shows the whole letter, scrolled to the passage, the sentence marked inside it.
    card.find_element(By.CSS_SELECTOR, "button.open-letter").click()
    focus = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".letter-modal #letter-focus")))
    assert _normal(marks[0]) in _normal(focus.find_element(By.CSS_SELECTOR, "mark.support").text)
    letter_text = browser.find_element(By.CSS_SELECTOR, ".letter-modal .letter-text")
    assert len(letter_text.text) > 3 * len(focus.text)  # the whole letter, not just the passage
    assert browser.execute_script(
        "const f = arguments[0].getBoundingClientRect(), v = arguments[1].getBoundingClientRect();"
        "return f.top < v.bottom && f.bottom > v.top;",
        focus,
        letter_text,
    )
    browser.save_screenshot(str(ARTIFACTS / "ui-letter.png"))
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, ".letter-modal")))

    # Thumbs up is stored with the question, the answer and its citations.
    browser.find_element(By.CSS_SELECTOR, '#chat button[aria-label="Like"]').click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#feedback-status"), "saved"))
    (record,) = [json.loads(line) for line in config.feedback_file.read_text(encoding="utf-8").splitlines()]
    assert record["verdict"] == "up" and record["question"].startswith("How many migrants")
    assert record["citations"][0]["n"] == 1 and "[1]" in record["answer"]

    # Markup typed as a question shows as text and runs nothing.
    question.send_keys(XSS, Keys.ENTER)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat .question")) == 2)
    assert browser.find_elements(By.CSS_SELECTOR, "#chat .question")[-1].text == XSS
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sources details.turn")) == 2)
    assert browser.find_element(By.CSS_SELECTOR, "#sources details.turn[open] summary").text == XSS
    assert not browser.find_elements(By.CSS_SELECTOR, "#chat img, #sources img")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018

    # An invalid date is refused with a message that shows the input as typed.
    browser.find_element(By.XPATH, "//button[contains(., 'Retrieval settings')]").click()
    date_from = wait.until(EC.visibility_of_element_located((By.XPATH, "//label[contains(., 'From date')]//*[self::input or self::textarea]")))
    date_from.send_keys("<b>bad</b>")
    question.send_keys("Wat is de taskforce internationale migratie?", Keys.ENTER)
    # The toast fades in: its text reads empty until it is shown, so wait for the text itself.
    refused = "//*[contains(text(), 'is not a date in the form yyyy-mm-dd')]"
    toast = wait.until(lambda b: next((e for e in b.find_elements(By.XPATH, refused) if "is not a date" in e.text), False))
    assert "'<b>bad</b>'" in toast.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chat .question")) == 2  # nothing was asked
    for box in (date_from, question):
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)

    # A letter added from the page is searchable at once; its markup is shown as text.
    browser.find_element(By.XPATH, "//button[contains(., 'Add letters')]").click()
    upload = tmp_path / "zwaluwstaart.txt"
    upload.write_text(UPLOADED, encoding="utf-8")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "input[type=file]"))).send_keys(str(upload))
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "body"), "zwaluwstaart"))  # listed once uploaded
    browser.find_element(By.XPATH, "//button[contains(., 'Add to the index')]").click()
    report = wait.until(
        lambda d: next((e for e in d.find_elements(By.XPATH, "//label[contains(., 'Result')]//textarea") if "now holds" in e.get_attribute("value")), None)
    )
    assert "✓ zwaluwstaart.txt: added" in report.get_attribute("value")
    assert (config.index_dir.parent / "uploads" / "zwaluwstaart.txt").is_file()
    question.send_keys("Hoeveel zwaluwstaarten telde de zwaluwstaartcommissie?", Keys.ENTER)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sources details.turn")) == 3)
    newest = browser.find_element(By.CSS_SELECTOR, "#sources details.turn[open]")
    assert "4.321" in newest.text and "<script>alert('brief')</script>" in newest.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#sources script, #sources img, #chat img")

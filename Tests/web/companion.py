#!/usr/bin/python3
"""The companion page in a real browser (Debian's chromium, driven by python3-selenium) at a
phone's size, against `upturn serve --web` on the PulseAudio bed. Run by WebPageTests.swift,
which starts the service; this script is the phone (and the helper beside the table).

Each check prints one line; any failure exits 1 with what was expected. Screenshots of every
view go to --shots (kept by Scripts/test as artifacts)."""
import argparse, json, os, re, socket, subprocess, sys, threading, time, urllib.request, urllib.error, wave

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

p = argparse.ArgumentParser()
p.add_argument("--url", required=True)
p.add_argument("--log", required=True, help="the service's stderr: the pairing code is logged there")
p.add_argument("--upturn", required=True)
p.add_argument("--socket", required=True)
p.add_argument("--shots", required=True)
p.add_argument("--closing-samples", type=int, required=True, help="audible samples in the closing cue")
args = p.parse_args()
sys.stderr = sys.stdout  # one report: tracebacks beside the checks
os.makedirs(args.shots, exist_ok=True)
host, port = re.match(r"http://([^:/]+):(\d+)", args.url).groups()
port = int(port)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def http(method, path, body=None, headers=None, cookie=None):
    request = urllib.request.Request(args.url + path, method=method, data=body, headers=headers or {})
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def ctl(*words):
    return subprocess.run([args.upturn, "ctl", *words, "--socket", args.socket], capture_output=True, text=True, timeout=20)


def status():
    return json.loads(ctl("status").stdout or "{}")


def wait_for(condition, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    check(False, "waited %.0f s for %s" % (timeout, what))
    return None


def logged_code(after):
    def find():
        text = open(args.log).read()[after:]
        codes = re.findall(r"the code is (\d{6})", text)
        return codes[-1] if codes else None
    return wait_for(find, 10, "the pairing code in the log")


origin = {"Origin": args.url}

# ---- No open door (before any phone is paired) ----
s, body, _ = http("GET", "/api/status")
check(s == 401 and b"not paired" in body and b"state" not in body, "unpaired: 401 and nothing else (%d %s)" % (s, body[:60]))
s, _, _ = http("POST", "/api/control", b'{"command": "stop"}', {"Origin": args.url, "Content-Type": "application/json"})
check(s == 401, "unpaired control: 401 (%d)" % s)
s, _, _ = http("POST", "/api/pair/begin", b"", {"Origin": "http://evil.example"})
check(s == 403, "pairing from a foreign Origin: 403 (%d)" % s)
s, _, _ = http("GET", "/")
check(s == 200, "the page itself is open (%d)" % s)

# ---- A phone: chromium at 390 x 844 ----
# The phone's microphone: a person saying a cue (flite's voice), fed to chromium's fake
# capture device; and the same words as a file for the phone's own recorder.
spoken = os.path.join(args.shots, "spoken.wav")
subprocess.run(["flite", "-voice", "slt", "-t", "Slowly return upright.", "-o", spoken], check=True)
options = webdriver.ChromeOptions()
for a in ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--use-file-for-fake-audio-capture=" + spoken]:
    options.add_argument(a)
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=390,844", "--force-device-scale-factor=1", "--disable-gpu"]:
    options.add_argument(a)
options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}})
service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") if hasattr(webdriver, "ChromeService") else None
driver = webdriver.Chrome(options=options, service=service) if service else webdriver.Chrome(options=options)
driver.set_window_size(390, 844)
wait = WebDriverWait(driver, 20)


def shot(name):
    path = os.path.join(args.shots, name + ".png")
    driver.save_screenshot(path)
    print("     screenshot " + path, flush=True)


def text(css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def tap(by, what):
    """A thumb's tap: the element scrolled to the middle of the screen (not under the tabs), then clicked."""
    element = driver.find_element(by, what)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def visible(css):
    elements = driver.find_elements(By.CSS_SELECTOR, css)
    return elements and elements[0].is_displayed()


try:
    driver.get(args.url)
    wait.until(lambda d: visible("#pair"))
    check(visible("#pair-begin") and not visible("#tabs"), "unpaired browser sees only 'Pair this phone'")
    shot("1-pair")

    # Pairing with the code the box says (read from the log, as its owner would hear it).
    logged = len(open(args.log).read())
    tap(By.ID, "pair-begin")
    code = logged_code(logged)
    wait.until(lambda d: visible("#pair-form"))
    wrong = "000000" if code != "000000" else "111111"
    driver.find_element(By.ID, "pair-code").send_keys(wrong)
    tap(By.CSS_SELECTOR, "#pair-form button")
    wait.until(lambda d: "wrong code" in text("#pair-message"))
    check("4 tries left" in text("#pair-message"), "a wrong code: said, with the tries left (%s)" % text("#pair-message"))
    shot("2-pair-wrong")
    box = driver.find_element(By.ID, "pair-code")
    box.clear()
    box.send_keys(code)
    driver.find_element(By.ID, "pair-name").send_keys("Test phone")
    tap(By.CSS_SELECTOR, "#pair-form button")
    wait.until(lambda d: visible("#now"))
    check(True, "paired with the spoken code")
    cookies = {c["name"]: c for c in driver.get_cookies()}
    token = cookies.get("upturn", {})
    check(token.get("httpOnly") and token.get("sameSite") == "Strict" and len(token.get("value", "")) == 64,
          "the token is a 64-hex HttpOnly SameSite=Strict cookie")
    cookie = "upturn=" + token.get("value", "")
    check(driver.execute_script("return document.cookie") == "", "the page's script cannot read the token")
    devices = subprocess.run([args.upturn, "web", "devices"], capture_output=True, text=True, env=os.environ).stdout
    check("Test phone" in devices, "upturn web devices lists it (%s)" % devices.strip())
    wait.until(lambda d: "Waiting" in text("#now-state"))
    shot("3-now-waiting")

    # ---- Bad input, once paired ----
    for path in ["/api/plans/..%2F..%2Fetc%2Fpasswd", "/api/plans/../../etc/passwd", "/api/plans/a.b"]:
        s, body, _ = http("GET", path, cookie=cookie)
        check(s in (400, 404) and b"root:" not in body, "a plan path with '..' or a dot is refused (%s: %d)" % (path, s))
    s, _, _ = http("PUT", "/api/plans/..%2Fescape", b'{"text": "{}"}', {"Origin": args.url}, cookie)
    check(s == 400, "saving outside the plans folder is refused (%d)" % s)
    s, _, _ = http("POST", "/api/control", b'{"command": "pause"}', {"Origin": "http://evil.example"}, cookie)
    check(s == 403, "a paired cookie from a foreign Origin: 403 (%d)" % s)
    # A 100 MB upload: refused before it is read (the connection closes early).
    started = time.monotonic()
    big = socket.create_connection((host, port))
    big.sendall(("PUT /api/plans/big HTTP/1.1\r\nHost: %s:%d\r\nOrigin: %s\r\nCookie: %s\r\nContent-Length: %d\r\n\r\n" % (host, port, args.url, cookie, 100 << 20)).encode())
    sent, answer = 0, b""
    big.settimeout(10)
    try:
        chunk = b"x" * 65536
        while sent < (100 << 20):
            big.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    try:
        answer = big.recv(200)
    except OSError:
        pass
    big.close()
    check(answer.startswith(b"HTTP/1.1 413") and sent < (100 << 20), "a 100 MB upload: 413 after %d MB sent, in %.1f s" % (sent >> 20, time.monotonic() - started))
    # A slow client (half a request, held) and 200 connections at once from another address
    # (127.0.0.2): the phone is still answered, and the crowd gets at most 16 connections.
    slow = socket.create_connection((host, port), source_address=("127.0.0.2", 0))
    slow.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\n")
    crowd = []
    for _ in range(200):
        try:
            c = socket.create_connection((host, port), timeout=2, source_address=("127.0.0.2", 0))
            c.sendall(b"GET /api/status HTTP/1.1\r\n")
            crowd.append(c)
        except OSError:
            pass
    try:
        s, _, _ = http("GET", "/api/hello", cookie=cookie)
    except OSError as e:
        s = str(e)
    check(s == 200, "with a slow client and 200 more connecting from another address, the phone is answered (%s)" % s)
    held = 0
    for c in crowd:
        try:
            c.settimeout(0.2)
            held += 0 if c.recv(1) == b"" else 1
        except socket.timeout:
            held += 1
        except OSError:
            pass
    check(held <= 16, "the crowd holds at most 16 connections (%d held)" % held)
    for c in crowd:
        c.close()
    slow.close()
    check(ctl("status").returncode == 0, "the service is alive after the crowd")

    # ---- Plans: the engine's check as you type, the error at its line ----
    tap(By.CSS_SELECTOR, '.tab[data-view="plan"]')
    wait.until(lambda d: visible("#plan-text"))
    wait.until(lambda d: driver.find_element(By.ID, "plan-text").get_attribute("value"))
    plan_with_error = "{\n  title: 'Web test',\n  steps: [\n    {tilt: 20, settle: '1s'},\n    {hold: '1m', halfway: false, countdwn: false},\n    {tilt: 0},\n  ],\n}\n"
    area = driver.find_element(By.ID, "plan-text")
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", area, plan_with_error)
    name = driver.find_element(By.ID, "plan-name")
    name.clear()
    name.send_keys("web-test")
    wait.until(lambda d: "Line 5" in text("#plan-problems"))
    problem = text("#plan-problems")
    check("countdwn" in problem and "countdown" in problem, "the error is shown at its line, with did-you-mean (%s)" % problem)
    bad_lines = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#plan-gutter .bad")]
    check(bad_lines == ["5"], "the gutter marks line 5 (%s)" % bad_lines)
    tap(By.ID, "plan-save")
    wait.until(lambda d: "Not saved" in text("#plan-message"))
    check(True, "a plan with problems is not saved")
    shot("4-plan-error")
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", area, plan_with_error.replace("countdwn", "countdown"))
    wait.until(lambda d: "The plan is good" in text("#plan-problems"))
    check(len(driver.find_elements(By.CSS_SELECTOR, "#plan-timeline li")) > 3, "the timeline is shown beside it")
    tap(By.ID, "plan-save")
    wait.until(lambda d: "Saved as web-test" in text("#plan-message"))
    check(True, "saved under the user's plans")
    shot("5-plan-good")

    # ---- Start: the plan from the page ----
    tap(By.CSS_SELECTOR, '.tab[data-view="start"]')
    wait.until(lambda d: driver.find_elements(By.CSS_SELECTOR, '#plans button[data-plan="web-test"]'))
    check("Why" in text("#today"), "today's session is shown with why")
    # Settings: big steps, kept in the settings file.
    wait.until(lambda d: text("#vol") == "100")
    tap(By.ID, "vol-down")
    wait.until(lambda d: text("#vol") == "90")
    settings_file = os.path.join(os.environ["XDG_CONFIG_HOME"], "upturn", "settings.json5")
    check("volume: 90" in open(settings_file).read(), "the volume set on the phone is kept in settings.json5")
    # The speaker is the service's own (--device pulse): shown, not changed. The voice is a choice.
    check(not driver.find_element(By.ID, "device").is_enabled() and "pulse" in driver.find_element(By.ID, "device").get_attribute("value"),
          "a speaker given on the service's command line is shown and cannot be changed")
    packs = [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#pack option")]
    check({"en", "fr", "de"} <= set(packs), "the installed voices are offered (%s)" % packs)
    Select(driver.find_element(By.ID, "pack")).select_by_value("fr")
    wait_for(lambda: 'pack: "fr"' in open(settings_file).read(), 5, "the voice chosen on the phone in settings.json5")
    check(True, "the voice chosen on the phone is kept in settings.json5")
    Select(driver.find_element(By.ID, "pack")).select_by_value("en")
    wait_for(lambda: 'pack: "en"' in open(settings_file).read(), 5, "the voice back to en")
    # Voice control: its switch, and the microphone's level while someone speaks in the room.
    wait.until(lambda d: visible("#voice-control") and driver.find_element(By.ID, "voice-level-text").text)
    check("speak up" in text("#voice-level-text"), "a silent room: the meter says to speak up (%s)" % text("#voice-level-text"))
    env = dict(os.environ)
    talker = subprocess.Popen(["paplay", "-d", "room", spoken], env=env)
    widths = []
    for _ in range(15):
        widths.append(float(driver.find_element(By.ID, "voice-level").value_of_css_property("width").rstrip("px") or 0))
        time.sleep(0.1)
    talker.wait(timeout=20)
    check(max(widths) > min(widths) + 20, "the level meter moves while someone speaks in the room (%s)" % [int(w) for w in widths])
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.ID, "voice-control"))
    shot("6b-settings-voice")
    tap(By.ID, "voice-on")
    wait_for(lambda: "voice_control: false" in open(settings_file).read(), 5, "voice control switched off from the phone")
    wait.until(lambda d: "voice control is off" in text("#voice-level-text"))
    check(True, "voice control switched off from the phone: kept, and the meter says so")
    tap(By.ID, "voice-on")
    wait_for(lambda: "voice_control: true" in open(settings_file).read(), 5, "voice control back on")
    driver.execute_script("window.scrollTo(0, 0)")
    shot("6-start")
    tap(By.CSS_SELECTOR, '#plans button[data-plan="web-test"]')
    wait.until(lambda d: visible("#now") and "Playing" in text("#now-state"))
    check(True, "a session started from the page plays")
    wait_for(lambda: status().get("inverted"), 90, "the tilted hold")
    wait.until(lambda d: "of" in text("#now-inverted-text"))
    shot("7-now-playing")

    # The live view follows a control from elsewhere (ctl skip, from the tilt to the hold)
    # without a reload.
    wait.until(lambda d: "Tilt to 20" in text("#now-step"))
    before = text("#now-step")
    ctl("skip")
    wait_for(lambda: text("#now-step") != before, 5, "the page to follow ctl skip")
    check("Hold" in text("#now-step"), "the page followed `ctl skip` (%s -> %s)" % (before, text("#now-step")))
    wait_for(lambda: status().get("inverted"), 20, "the hold, tilted")

    # Pause and resume from the page.
    wait.until(lambda d: "Hold" in text("#now-step") or status().get("inverted"))
    tap(By.ID, "btn-toggle")
    wait_for(lambda: status().get("paused"), 5, "a pause from the page")
    wait.until(lambda d: "Paused" in text("#now-state") and text("#btn-toggle") == "Resume")
    check(True, "Pause from the page: the box pauses and the page says so")
    shot("8-now-paused")
    tap(By.ID, "btn-toggle")
    wait_for(lambda: status().get("paused") is False, 5, "a resume from the page")

    # Stop while tilted: the closing cue, whole, heard on the bed.
    wait_for(lambda: status().get("inverted") and not status().get("paused"), 10, "tilted and playing")
    recording = os.path.join(args.shots, "stop.raw")
    parec = subprocess.Popen(["parec", "--latency-msec=10", "-d", "upturn.monitor", "--format=s16le", "--rate=48000", "--channels=1", "--raw"],
                             stdout=open(recording, "wb"))
    time.sleep(0.5)
    tap(By.ID, "btn-stop")
    wait_for(lambda: status().get("state") == "waiting", 30, "the session to end after Stop")
    time.sleep(0.5)
    parec.terminate()
    parec.wait()
    raw = open(recording, "rb").read()
    samples = memoryview(raw).cast("h") if len(raw) % 2 == 0 else memoryview(raw[:-1]).cast("h")
    audible = sum(1 for x in samples if abs(x) >= 64)
    check(audible >= args.closing_samples * 0.9, "Stop while tilted: the closing cue heard whole (%d of %d audible samples)" % (audible, args.closing_samples))
    wait.until(lambda d: "Waiting" in text("#now-state"))
    shot("9-now-after-stop")

    # ---- Your voice: a pack recorded on the phone ----
    tap(By.CSS_SELECTOR, '.tab[data-view="voice"]')
    wait.until(lambda d: visible("#pack-new"))
    driver.find_element(By.ID, "pack-name").send_keys("my-voice")
    tap(By.CSS_SELECTOR, "#pack-new button")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#cues li[data-key="session.upright"]'))
    check(driver.execute_script("return window.isSecureContext"), "127.0.0.1 is a secure context: the page records itself")
    # Recorded in the page (the fake microphone), with the level meter moving.
    tap(By.CSS_SELECTOR, '#cues li[data-key="session.upright"] button[data-key="session.upright"]')
    wait.until(lambda d: visible("#recorder"))
    levels = []
    for _ in range(20):
        levels.append(driver.find_element(By.ID, "recorder-level").value_of_css_property("width"))
        time.sleep(0.15)
    check(len(set(levels)) > 2, "the level meter moves while recording")
    shot("11-voice-recording")
    tap(By.ID, "recorder-stop")
    wait.until(lambda d: visible("#trimmer") or text("#voice-message"))
    check(visible("#trimmer"), "a recording is shown before it is kept (%s)" % text("#voice-message"))
    tap(By.ID, "trim-keep")
    wait.until(lambda d: "Kept" in text("#voice-message") or "Nothing" in text("#voice-message") or "not" in text("#voice-message"))
    check("Kept" in text("#voice-message"), "a cue recorded in the page is kept (%s)" % text("#voice-message"))
    # Through the phone's own recorder (a file given to the capture input: no secure context
    # needed), trimmed on the phone: the start 0.2 s later, the end 0.1 s earlier.
    driver.find_element(By.CSS_SELECTOR, '#cues li[data-key="hold.halfway"] input[type=file]').send_keys(spoken)
    wait.until(lambda d: visible("#trimmer") or "not" in text("#voice-message"))
    start0, end0 = float(text("#trim-start").split()[0]), float(text("#trim-end").split()[0])
    for _ in range(4):
        tap(By.ID, "trim-start-up")
    for _ in range(2):
        tap(By.ID, "trim-end-down")
    start1, end1 = float(text("#trim-start").split()[0]), float(text("#trim-end").split()[0])
    check(abs(start1 - start0 - 0.2) < 0.011 and abs(end0 - end1 - 0.1) < 0.011,
          "the trim moves in steps of 0.05 s (start %.2f -> %.2f, end %.2f -> %.2f)" % (start0, start1, end0, end1))
    cuts = driver.find_elements(By.CSS_SELECTOR, "#trimmer-wave rect.cut")
    check(len(cuts) == 2 and float(cuts[0].get_attribute("width")) > 0, "the wave shows what is cut")
    shot("11b-voice-trim")
    tap(By.ID, "trim-keep")
    wait.until(lambda d: "Kept" in text("#voice-message") and "Halfway" in text("#voice-message") or "not" in text("#voice-message"))
    kept = re.search(r"\(([0-9.]+) s\)", text("#voice-message"))
    check(kept is not None and abs(float(kept.group(1)) - (end1 - start1)) < 0.02,
          "the kept cue is the trimmed part (%s, %.2f s shown)" % (text("#voice-message"), end1 - start1))
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#cues li.done")) == 2)
    # Bad uploads: not audio, and too large.
    folder = os.path.join(os.environ["XDG_DATA_HOME"], "upturn", "packs", "my-voice")
    s, body, _ = http("PUT", "/api/packs/my-voice/cues/hold.halfway", b"this is not audio" * 100, {"Origin": args.url}, cookie)
    check(s == 422, "a recording that does not decode is refused (%d %s)" % (s, body[:80]))
    s, _, _ = http("PUT", "/api/packs/my-voice/cues/no.such-cue", open(spoken, "rb").read(), {"Origin": args.url}, cookie)
    check(s == 400, "a cue that does not exist is refused (%d)" % s)
    tap(By.ID, "pack-check")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#pack-problems li"))
    check("The pack is good" in text("#pack-problems"), "the pack check passes (%s)" % text("#pack-problems"))
    shot("12-voice-pack")
    checked = subprocess.run([args.upturn, "check", folder], capture_output=True, text=True, env=os.environ)
    check(checked.returncode == 0, "`upturn check` accepts the pack made on the phone (%s)" % (checked.stdout + checked.stderr).strip()[:200])
    pack_text = open(os.path.join(folder, "pack.json5")).read()
    check('"session.upright": { file: "session.upright.wav"' in pack_text and os.path.exists(os.path.join(folder, "hold.halfway.wav")),
          "the pack names the recordings, kept as WAV files in its folder")

    # ---- History in pictures ----
    tap(By.CSS_SELECTOR, '.tab[data-view="history"]')
    wait.until(lambda d: driver.find_elements(By.CSS_SELECTOR, "#chart-weeks svg rect"))
    check(len(driver.find_elements(By.CSS_SELECTOR, "#chart-inverted svg rect")) >= 2, "the history is drawn as charts")
    check(visible("#chart-trace") and driver.find_elements(By.CSS_SELECTOR, "#chart-trace svg polyline"),
          "the last session measured by the angle sensor is drawn, a point a second")
    shot("10-history")

    # ---- The box out of reach: the page says so, and comes back by itself ----
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    tap(By.CSS_SELECTOR, '.tab[data-view="start"]')
    wait.until(lambda d: visible("#offline"))
    check("cannot be reached" in text("#offline"), "the page says when the box is unreachable")
    shot("13-offline")
    driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    tap(By.CSS_SELECTOR, '.tab[data-view="now"]')
    wait.until(lambda d: not visible("#offline"))
    check(True, "and clears it when the box answers again")

    # ---- Forgotten: locked out at the next request ----
    forgot = subprocess.run([args.upturn, "web", "forget", "Test phone"], capture_output=True, text=True, env=os.environ)
    check(forgot.returncode == 0, "upturn web forget (%s)" % forgot.stderr.strip())
    s, _, _ = http("GET", "/api/hello", cookie=cookie)
    check(s == 401, "a forgotten phone gets 401 (%d)" % s)

    # ---- Five wrong codes lock pairing and throw the code away ----
    http("POST", "/api/pair/begin", b"", origin)
    results = [http("POST", "/api/pair", b'{"code": "%06d"}' % n, origin)[0] for n in range(5)]
    s, _, _ = http("POST", "/api/pair/begin", b"", origin)
    check(results[-1] == 429 and s == 429, "5 wrong codes lock pairing (%s, then %d)" % (results, s))
finally:
    driver.quit()

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")

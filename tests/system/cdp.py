#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Headless Chromium (Debian's chromium) driven over the DevTools protocol on
a pipe (--remote-debugging-pipe: no port to pick, nothing another test can
reach), to test the dashboard and the simulator's report as a person sees
them: load the page, wait for what it must show, read it back from the DOM,
keep a screenshot. Used by tests/system/test_dashboard.sh and
tests/system/test_sim_report.sh; prints one line per check, "OK name" or
"FAIL name: why", and exits 1 if any failed.

  cdp.py dashboard URL SCREENSHOT.png LIAR_ID   a running node's dashboard
  cdp.py report FILE.html SCREENSHOT.png        a bftime-sim --html report
  cdp.py chain URL SCREENSHOT.png               a nakamoto node's dashboard: its chain panel

Every wait has a deadline and waits for a state, never for a time: the
page is read until it shows what is asserted or the deadline passes.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, width=1400, height=1900):
        self.tmp = tempfile.mkdtemp(prefix="bftime-chromium.")
        to_child_r, self.to_child_w = os.pipe()
        self.from_child_r, from_child_w = os.pipe()
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            raise RuntimeError("chromium not installed (scripts/deps.sh installs it)")

        def fds():  # the protocol's pipes are the child's fds 3 (in) and 4 (out)
            # By way of high numbers, in case a pipe already is 3 or 4; dup2
            # leaves the copies inheritable, the originals close on exec.
            os.dup2(to_child_r, 100)
            os.dup2(from_child_w, 101)
            os.dup2(100, 3)
            os.dup2(101, 4)
            os.close(100)
            os.close(101)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
             "--hide-scrollbars", f"--window-size={width},{height}", f"--user-data-dir={self.tmp}",
             "--remote-debugging-pipe", "about:blank"],
            close_fds=False, preexec_fn=fds,  # close_fds would close 3 and 4 after fds() ran
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.tmp, "chromium.log"), "wb"))
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_child_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" not in self.buf:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{method}: no answer from chromium in {timeout} s")
                chunk = os.read(self.from_child_r, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"{method}: chromium closed the pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            m = json.loads(raw)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})

    def open(self, url):
        t = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        a = self.send("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True}, session=False)
        self.session = a["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Page.navigate", {"url": url})

    def eval(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("page script: " + json.dumps(r["exceptionDetails"])[:300])
        return r.get("result", {}).get("value")

    def screenshot(self, path):
        r = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


failed = 0


def check(name, ok, why=""):
    global failed
    if ok:
        print(f"OK {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}")


def wait_for(b, expr, timeout):
    """Evaluate expr (JS returning a value) until truthy or timeout; the last value."""
    deadline = time.monotonic() + timeout
    v = None
    while time.monotonic() < deadline:
        try:
            v = b.eval(expr)
        except RuntimeError:
            v = None
        if v:
            return v
        time.sleep(0.25)
    return v


# What the dashboard shows, read from its DOM.
DASH_FACTS = """JSON.stringify({
  ready: document.body.dataset.ready,
  updates: +document.body.dataset.updates,
  lastSeq: +document.body.dataset.lastSeq,
  title: document.getElementById('title').textContent,
  graph: [...document.querySelectorAll('#graph g.src')].map(g => [g.dataset.key, g.dataset.state, g.textContent]),
  rows: [...document.querySelectorAll('#sources tbody tr')].map(r => [r.dataset.key, r.dataset.state, r.textContent]),
  width: (document.getElementById('fused-width') || {}).textContent,
  earliest: (document.getElementById('fused-earliest') || {}).textContent,
  band: (document.querySelector('#chart-offsets path.fused-band') || {getAttribute: () => ''}).getAttribute('d'),
  lines: [...document.querySelectorAll('#chart-offsets path.src-line')].filter(p => (p.getAttribute('d') || '').length > 20).map(p => p.dataset.key),
  widthLine: ((document.querySelector('#chart-width path.width-line') || {getAttribute: () => ''}).getAttribute('d') || '').length,
  live: document.getElementById('live').textContent,
  proofs: document.getElementById('proofs-kv').textContent,
  alarm: document.getElementById('badge-alarm').textContent
})"""


def dashboard(url, shot, liar):
    b = Browser()
    try:
        b.open(url)
        liar_key = f"peer-{liar}"
        # The page is up and shows the liar rejected and at least two
        # history samples (a line needs two points) in every chart.
        ready = ("(() => { const f = " + DASH_FACTS + "; const o = JSON.parse(f);"
                 " return o.ready === '1' && o.graph.some(g => g[0] === '" + liar_key + "' && g[1] === 'rejected')"
                 " && o.lines.length >= 3 && o.band && o.band.length > 20 ? f : ''; })()")
        first = wait_for(b, ready, 60)
        f = json.loads(first or b.eval(DASH_FACTS))
        check("dashboard loads and names the node", f["ready"] == "1" and "bftime node 1" in f["title"], f["title"])
        liar_g = [g for g in f["graph"] if g[0] == liar_key]
        check("the liar is marked rejected in the graph", liar_g and liar_g[0][1] == "rejected" and "rejected" in liar_g[0][2],
              json.dumps(liar_g))
        liar_r = [r for r in f["rows"] if r[0] == liar_key]
        check("the liar's row says rejected, and why", liar_r and liar_r[0][1] == "rejected" and "falseticker" in liar_r[0][2],
              json.dumps(liar_r))
        honest = [g for g in f["graph"] if g[0].startswith("peer-") and g[0] != liar_key]
        check("the honest peers are marked used", len(honest) >= 2 and all(g[1] == "used" for g in honest), json.dumps(honest))
        check("the reference is shown", any(g[0].startswith("ref-") for g in f["graph"]), json.dumps(f["graph"]))
        check("fused interval stated (earliest, width)", bool(f["earliest"]) and f["width"] not in (None, "", "–"),
              f"{f['earliest']} {f['width']}")
        check("fused interval drawn as a band", f["band"] and f["band"].count("Z") >= 1, (f["band"] or "")[:80])
        check("a line per source drawn", liar_key in f["lines"] and len(f["lines"]) >= 4, json.dumps(f["lines"]))
        check("width chart drawn", f["widthLine"] > 20, str(f["widthLine"]))
        check("the proof chain's head shown", "chain headseq " in f["proofs"], f["proofs"][:120])
        # Live: more polls answered and new samples from the node, in real time.
        later = wait_for(b, "(() => { const o = JSON.parse(" + DASH_FACTS + "); return o.updates >= %d && o.lastSeq > %d ? JSON.stringify(o) : ''; })()"
                         % (f["updates"] + 3, f["lastSeq"]), 30)
        g = json.loads(later or b.eval(DASH_FACTS))
        check("live updates arrive (polls and new samples)", g["updates"] >= f["updates"] + 3 and g["lastSeq"] > f["lastSeq"],
              f"updates {f['updates']} -> {g['updates']}, last sample {f['lastSeq']} -> {g['lastSeq']}")
        # The symmetric log scale redraws the offsets and says so.
        b.eval("(() => { const s = document.getElementById('scale'); s.value = 'symlog'; s.dispatchEvent(new Event('change')); })()")
        sym = b.eval("[...document.querySelectorAll('#chart-offsets text')].some(t => t.textContent.includes('symlog'))")
        check("symlog scale selectable", bool(sym))
        b.eval("(() => { const s = document.getElementById('scale'); s.value = 'auto'; s.dispatchEvent(new Event('change')); })()")
        b.screenshot(shot)
        check("screenshot kept", os.path.getsize(shot) > 10000, shot)
    finally:
        b.close()


REPORT_FACTS = """JSON.stringify({
  title: document.title,
  verdict: (document.getElementById('verdict') || {}).textContent,
  legend: [...document.querySelectorAll('.legend [data-series]')].map(e => e.dataset.series),
  nodeLines: document.querySelectorAll('svg path.node-offset').length,
  bands: document.querySelectorAll('svg path.node-interval').length,
  bound: document.querySelectorAll('svg .bound-line').length,
  attacks: document.querySelectorAll('svg .attack-window').length,
  events: document.querySelectorAll('svg .event').length,
  params: (document.getElementById('params') || {}).textContent,
  ready: document.body.dataset.ready
})"""


def report(path, shot):
    b = Browser()
    try:
        b.open("file://" + os.path.abspath(path))
        # The report is static and large (850 KB): its body's data-ready
        # comes at the top, so the document must also be parsed to its end
        # (readyState complete), or the later panels are not there yet (CI:
        # "bound lines drawn: 0" once, with the first panel's lines found).
        v = wait_for(b, "document.readyState === 'complete' && document.body && document.body.dataset.ready === '1' ? "
                     + REPORT_FACTS + " : ''", 60)
        f = json.loads(v or b.eval(REPORT_FACTS))
        check("report renders", f["ready"] == "1", json.dumps(f)[:200])
        check("verdict shown", bool(f["verdict"]) and ("PASS" in f["verdict"] or "FAIL" in f["verdict"]), str(f["verdict"]))
        check("a line and an interval band per honest node", f["nodeLines"] >= 3 and f["bands"] >= 3,
              f"{f['nodeLines']} lines, {f['bands']} bands")
        check("bound lines drawn", f["bound"] >= 1, str(f["bound"]))
        check("attack window marked", f["attacks"] >= 1, str(f["attacks"]))
        check("legend names the series", "bound" in f["legend"] and any(s.startswith("node") for s in f["legend"]), json.dumps(f["legend"]))
        check("parameters listed", bool(f["params"]) and "nodes" in f["params"], str(f["params"])[:100])
        b.screenshot(shot)
        check("screenshot kept", os.path.getsize(shot) > 10000, shot)
    finally:
        b.close()


# The Nakamoto chain panel (engine nakamoto): shown, with a height that grows
# while the page is open (live), and the references' consensus line.
CHAIN_FACTS = """JSON.stringify({
  hidden: document.getElementById('chain-box').hidden,
  text: document.getElementById('chain-kv').textContent,
  height: (() => { const dt = [...document.querySelectorAll('#chain-kv dt')].find(d => d.textContent === 'height');
                   return dt ? +dt.nextElementSibling.textContent : -1; })()
})"""


def chain(url, shot):
    b = Browser()
    try:
        b.open(url)
        f = json.loads(wait_for(b, f"(() => {{ const f = {CHAIN_FACTS}; return JSON.parse(f).height > 0 ? f : ''; }})()", 60)
                       or b.eval(CHAIN_FACTS))
        check("the chain panel is shown with a height", not f["hidden"] and f["height"] > 0,
              f"hidden {f['hidden']}, height {f['height']}")
        h0 = f["height"]
        g = json.loads(wait_for(b, f"(() => {{ const f = {CHAIN_FACTS}; return JSON.parse(f).height > {h0} ? f : ''; }})()", 90)
                       or b.eval(CHAIN_FACTS))
        check("the chain's height grows while the page is open", g["height"] > h0, f"{h0} -> {g['height']}")
        check("the panel names the blocks refused and the alarm", "blocks refused" in g["text"] and "alarm" in g["text"],
              g["text"][:200])
        b.screenshot(shot)
        print(f"height {h0} -> {g['height']}; panel: {g['text'][:160]}")
    finally:
        b.close()


def main():
    try:
        if len(sys.argv) == 5 and sys.argv[1] == "dashboard":
            dashboard(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        elif len(sys.argv) == 4 and sys.argv[1] == "report":
            report(sys.argv[2], sys.argv[3])
        elif len(sys.argv) == 4 and sys.argv[1] == "chain":
            chain(sys.argv[2], sys.argv[3])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Exception as e:  # a browser that fails is a failed check, not a traceback
        check("chromium session", False, str(e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

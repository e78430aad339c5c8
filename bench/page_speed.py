"""How often each view of the page redraws while Play runs.

Starts the playground as a real uvicorn process, opens the page in headless
Chromium at 1280 x 800 (the default network on XOR), presses Play and, after
a warm-up, reads every view's ``data-draws`` counter (each view's container
counts its redraws) and the page's frame counter twice, ``SECONDS`` apart.
A view counts when it is on screen (the layout for watching puts the
diagram with its neuron pictures and the output view both there).

The last line is ``min_view_redraws_per_s=... views=...``: the slowest
on-screen view's redraws per second, and how many views were measured
(target: at least 15 per view). The load average is printed with it: on a
shared machine the figure says more about the neighbours than about the page.
"""
from __future__ import annotations

import os
import time

from _common import final_line, print_table
from playwright.sync_api import sync_playwright

from tests import launch

CHROMIUM = os.environ.get("MLP_PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
SECONDS = 5.0
WARMUP_SECONDS = 1.5

COUNTERS = """() => {
  const views = {};
  for (const el of document.querySelectorAll('[data-draws]')) {
    const r = el.getBoundingClientRect();
    const shown = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight;
    views[el.dataset.testid || el.id] = { draws: Number(el.dataset.draws), shown };
  }
  return { views, frames: Number(document.body.dataset.liveFrames || 0), all: Number(document.body.dataset.liveViews || 0), epoch: Number(document.getElementById('epoch-count').textContent) };
}"""


def main() -> None:
    with launch.running() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(url)
        page.wait_for_selector("[data-testid=neuron-picture]")
        page.get_by_test_id("play").click()
        time.sleep(WARMUP_SECONDS)
        first, t0 = page.evaluate(COUNTERS), time.monotonic()
        time.sleep(SECONDS)
        last, t1 = page.evaluate(COUNTERS), time.monotonic()
        page.get_by_test_id("play").click()
        browser.close()
    dt = t1 - t0
    rows, rates = [], []
    for name, now in sorted(last["views"].items()):
        before = first["views"].get(name, {"draws": 0})
        rate = (now["draws"] - before["draws"]) / dt
        rows.append([name, "yes" if now["shown"] else "no", rate])
        if now["shown"]:
            rates.append(rate)
    rows.append(["(frames drawn: counters)", "yes", (last["frames"] - first["frames"]) / dt])
    rows.append(["(view redraws, all views)", "", (last["all"] - first["all"]) / dt])
    rows.append(["(epochs trained)", "", (last["epoch"] - first["epoch"]) / dt])
    print_table(f"Redraws per second during Play on XOR, {dt:.1f} s, 1280 x 800", ["view", "on screen", "per s"], rows)
    print(f"load average over 1 min during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    final_line(min_view_redraws_per_s=min(rates) if rates else 0.0, views=len(rates))


if __name__ == "__main__":
    main()

"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright, against
the live server (gunicorn with the project's configuration).

The figures asserted are worked out from the manifests by hand, in the comments, not read
back from the API. `make test` installs Chromium (apt-get) when /usr/bin/chromium is
missing; Playwright drives that binary and never downloads a browser of its own.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from bench.servers import gunicorn

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PLAN = "/v1/plan"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with gunicorn("api.wsgi:app", {"PODCALC_WORKERS": "1"}) as (url, _, _):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's Chromium is needed at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


class Watched:
    """What the page did besides rendering: script errors (CSP violations included), every
    URL it asked for, and the answers that were errors."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        # a failed load is checked by its response below, where its URL is known
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")


@pytest.fixture
def watched() -> Watched:
    return Watched()


@pytest.fixture
def page(browser: Browser, base_url: str, watched: Watched) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", watched.console)
    page.on("pageerror", lambda err: watched.errors.append(f"page error: {err}"))
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("response", watched.response)
    page.goto(base_url + "/")
    yield page
    context.close()
    # no CSP violation, no script error, every file of the page found (the API's answers
    # are the tests' to check), and nothing fetched from anywhere but this server
    assert watched.errors == []
    assert [f for f in watched.failed if not f.endswith(("/v1/effective-resources", PLAN))] == []
    assert all(url.startswith(base_url + "/") for url in watched.requests), watched.requests


def calculate(page: Page, text: str) -> None:
    page.fill("#manifests", text)
    page.click("#calculate")
    expect(page.locator("#status")).to_contain_text("workload(s)")


def cell(page: Page, workload: str, column: str) -> str:
    return page.locator(f'#workload-table tr[data-workload="{workload}"] [data-col="{column}"]').inner_text()


def phase_cell(page: Page, phase: str, column: str) -> str:
    return page.locator(f'#phase-table tr[data-phase="{phase}"] [data-col="{column}"]').inner_text()


def phases(page: Page) -> list[str | None]:
    """The phases in the chart's table, in order."""
    return [row.get_attribute("data-phase") for row in page.locator("#phase-table tbody tr").all()]


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_sidecar_documentation_examples_show_best_effort_pods_with_every_limit_unbounded(page: Page) -> None:
    deployment = (DATA / "sidecar-doc-deployment.yaml").read_text()
    job = (DATA / "sidecar-doc-job.yaml").read_text()
    calculate(page, deployment + "---\n" + job)
    # Neither example declares resources: no requests, no limits, so BestEffort, and cpu,
    # memory and ephemeral-storage may be used without limit. The Deployment runs
    # replicas: 2 pods; the Job one (parallelism defaults to 1): 3 pods in all.
    expect(page.locator("#status")).to_have_text("2 workload(s), 3 pod(s) at once.")
    unbounded = ["cpu unbounded", "memory unbounded", "ephemeral-storage unbounded"]
    for workload, replicas in (("Deployment/myapp", "2"), ("Job/myjob", "1")):
        assert cell(page, workload, "qos") == "BestEffort"
        assert cell(page, workload, "requests") == "none"
        assert lines(cell(page, workload, "limits")) == unbounded
        assert cell(page, workload, "replicas") == replicas
        assert cell(page, workload, "pods") == replicas
        assert cell(page, workload, "total-requests") == "none"
        flagged = page.locator(f'#workload-table tr[data-workload="{workload}"] [data-col="limits"] li.unbounded')
        expect(flagged).to_have_count(3)
    assert cell(page, "total", "pods") == "3"
    assert lines(cell(page, "total", "total-limits")) == unbounded
    # each document is listed under the pasted source, named as the API names it
    documents = page.locator("#documents .document-head")
    expect(documents).to_have_count(2)
    expect(documents.nth(0)).to_contain_text("document 0 · Deployment/myapp")
    expect(documents.nth(1)).to_contain_text("document 1 · Job/myjob")

    # The Job's pod: its sidecar logshipper starts first (an init container with
    # restartPolicy: Always), then myjob runs beside it. Nothing is requested in either.
    page.select_option("#pod-select", label="Job/myjob (document 1)")
    assert phases(page) == ["sidecar:logshipper", "running"]
    assert phase_cell(page, "sidecar:logshipper", "running") == "logshipper"
    assert phase_cell(page, "running", "running") == "myjob, logshipper"
    assert phase_cell(page, "running", "total") == "0"
    assert phase_cell(page, "effective", "total") == "0"
    expect(page.locator("#chart-caption")).to_contain_text("No container declares cpu requests.")
    expect(page.locator("#lifecycle-chart .empty-label")).to_have_text("no cpu requests declared")
    # The Deployment's pod has no init containers: a single running phase of both containers.
    page.select_option("#pod-select", label="Deployment/myapp (document 0)")
    assert phase_cell(page, "running", "running") == "myapp, logshipper"
    expect(page.locator("#phase-table tbody tr")).to_have_count(1)


def test_the_phase_chart_stacks_each_container_and_marks_the_phase_that_sets_the_pod(page: Page) -> None:
    # examples/pod.json: sidecar logshipper (requests 50m / 32Mi, limits 100m / 64Mi),
    # then the init container fetch (1 cpu / 16Mi), then the app myjob (250m / 64Mi,
    # limits 500m / 128Mi). cpu: the sidecar's start uses 50m; fetch runs beside the
    # sidecar: 50m + 1 = 1050m; running: 250m + 50m = 300m. The pod reserves the peak,
    # 1050m, set by init:fetch. Memory: 32Mi, 32Mi + 16Mi = 48Mi, 64Mi + 32Mi = 96Mi: set
    # by the running phase.
    calculate(page, (ROOT / "examples" / "pod.json").read_text())
    assert cell(page, "Pod/myjob", "qos") == "Burstable"
    assert lines(cell(page, "Pod/myjob", "requests")) == ["cpu 1.05", "memory 96Mi"]
    assert lines(cell(page, "Pod/myjob", "limits")) == ["cpu 1.1", "memory 192Mi", "ephemeral-storage unbounded"]

    assert phase_cell(page, "sidecar:logshipper", "per-container") == "logshipper 50m"
    assert phase_cell(page, "init:fetch", "per-container") == "logshipper 50m + fetch 1"
    assert phase_cell(page, "init:fetch", "total") == "1050m"
    assert phase_cell(page, "running", "per-container") == "myjob 250m + logshipper 50m"
    assert phase_cell(page, "running", "total") == "300m"
    assert phase_cell(page, "init:fetch", "sets") == "★ sets effective"
    assert phase_cell(page, "running", "sets") == ""
    assert phase_cell(page, "effective", "total") == "1050m"
    assert phase_cell(page, "effective", "sets") == "set by init:fetch"
    chart = page.locator("#lifecycle-chart")
    expect(chart.locator("g.sets")).to_have_attribute("data-phase", "init:fetch")
    expect(chart.locator(".effective-label")).to_have_text("effective 1050m")
    # one segment per running container with a request: 1 + 2 + 2
    expect(chart.locator("rect.seg")).to_have_count(5)
    expect(chart.locator('g[data-phase="init:fetch"] rect.seg')).to_have_count(2)
    assert chart.locator('g[data-phase="init:fetch"] .bar-label').text_content() == "1050m"
    # the stacked bar that sets the pod reaches the effective line
    line_y = float(chart.locator("line.effective").get_attribute("y1") or "nan")
    top = min(float(r.get_attribute("y") or "nan") for r in chart.locator('g[data-phase="init:fetch"] rect.seg').all())
    assert abs(line_y - top) < 0.01

    page.select_option("#resource-select", "memory")
    assert phase_cell(page, "init:fetch", "per-container") == "logshipper 32Mi + fetch 16Mi"
    assert phase_cell(page, "init:fetch", "total") == "48Mi"
    assert phase_cell(page, "running", "total") == "96Mi"
    assert phase_cell(page, "running", "sets") == "★ sets effective"
    assert phase_cell(page, "effective", "sets") == "set by running"
    expect(chart.locator("g.sets")).to_have_attribute("data-phase", "running")

    # limits: fetch 1 beside logshipper 100m = 1100m, the pod's cpu limit
    page.select_option("#resource-select", "cpu")
    page.select_option("#figure-select", "limits")
    assert phase_cell(page, "init:fetch", "per-container") == "logshipper 100m + fetch 1"
    assert phase_cell(page, "effective", "total") == "1100m"


def test_several_files_at_once_each_document_under_its_file(page: Page) -> None:
    # multi-container-resources.yaml: init setup 200m / 64Mi (memory limit 64Mi), sidecar
    # log-shipper 50m / 64Mi (limit 64Mi), app 300m / 128Mi (limit 128Mi); no cpu limit.
    # Running: 300m + 50m = 350m and 128Mi + 64Mi = 192Mi, above the init step (200m / 64Mi):
    # the running phase sets both. With pod.json (1050m / 96Mi, limits 1100m / 192Mi): 2 pods,
    # requests 350m + 1050m = 1400m and 192Mi + 96Mi = 288Mi; memory limits 192Mi + 192Mi =
    # 384Mi; the only cpu limit is pod.json's 1100m, and cpu is unbounded in the other pod.
    page.set_input_files("#files", [DATA / "multi-container-resources.yaml", ROOT / "examples" / "pod.json"])
    expect(page.locator("#file-list li")).to_have_count(2)
    page.click("#calculate")
    expect(page.locator("#status")).to_have_text("2 workload(s), 2 pod(s) at once.")
    assert lines(cell(page, "Pod/resources-example", "requests")) == ["cpu 350m", "memory 192Mi"]
    assert lines(cell(page, "Pod/resources-example", "limits")) == [
        "memory 192Mi",
        "cpu unbounded",
        "ephemeral-storage unbounded",
    ]
    assert lines(cell(page, "total", "total-requests")) == ["cpu 1.4", "memory 288Mi"]
    assert lines(cell(page, "total", "total-limits")) == [
        "cpu 1.1",
        "memory 384Mi",
        "cpu unbounded",
        "ephemeral-storage unbounded",
    ]
    sources = page.locator("#documents section.source")
    expect(sources.nth(0).locator("h3")).to_have_text("multi-container-resources.yaml")
    expect(sources.nth(0).locator(".document-head")).to_contain_text("document 0 · Pod/resources-example")
    expect(sources.nth(1).locator("h3")).to_have_text("pod.json")
    expect(sources.nth(1).locator(".document-head")).to_contain_text("document 1 · Pod/myjob")

    page.select_option("#pod-select", label="Pod/resources-example (document 0)")
    assert phases(page) == ["init:setup", "sidecar:log-shipper", "running"]
    assert phase_cell(page, "init:setup", "total") == "200m"
    assert phase_cell(page, "sidecar:log-shipper", "total") == "50m"
    assert phase_cell(page, "running", "per-container") == "app 300m + log-shipper 50m"
    assert phase_cell(page, "running", "sets") == "★ sets effective"
    assert phase_cell(page, "effective", "total") == "350m"


def test_an_invalid_quantity_is_shown_at_its_document_and_field(page: Page) -> None:
    good = (DATA / "sidecar-doc-job.yaml").read_text()
    bad = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    resources:\n      requests:\n        cpu: 12x\n"  # noqa: E501
    page.fill("#manifests", good + "---\n" + bad)
    page.click("#calculate")
    expect(page.locator("#status")).to_have_text("Invalid input: 1 problem(s).")
    broken = page.locator("#doc-1")
    expect(broken).to_have_class("document has-errors")
    expect(broken.locator(".document-head")).to_contain_text("document 1 · Pod/web")
    problem = broken.locator(".problems li")
    expect(problem.locator(".pointer")).to_have_text("/spec/containers/0/resources/requests/cpu")
    expect(problem.locator(".detail")).to_contain_text("invalid quantity '12x'")
    expect(problem.locator(".at-line code")).to_have_text("cpu: 12x")
    expect(broken.locator(".line.marked")).to_have_text("        cpu: 12x")
    expect(page.locator("#doc-0")).to_have_class("document")
    expect(page.locator("#results")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#documents-section").screenshot(path=str(ARTIFACTS / "dashboard-error.png"))


def test_broken_yaml_is_shown_at_its_file_and_line(page: Page, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Pod\nspec: [\n")
    page.set_input_files("#files", [DATA / "qos-pod.yaml", broken])
    page.click("#calculate")
    expect(page.locator("#status")).to_contain_text("Malformed YAML")
    sources = page.locator("#documents section.source")
    expect(sources.nth(0).locator("p.problem")).to_have_count(0)
    message = sources.nth(1).locator("p.problem")
    expect(message).to_contain_text("at line 4, column 1")  # the stream ends inside the flow sequence


def test_the_page_is_usable_from_the_keyboard_alone(page: Page) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "manifests"
    page.keyboard.insert_text((ROOT / "examples" / "pod.json").read_text())
    for expected in ("files", "snapshot", "nodes", "calculate"):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == expected
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("1 workload(s), 1 pod(s) at once.")
    # Ctrl+Enter from the text area calculates too
    page.fill("#manifests", (DATA / "sidecar-doc-deployment.yaml").read_text())
    page.focus("#manifests")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#status")).to_have_text("1 workload(s), 2 pod(s) at once.")
    # a workload's Phases button, by keyboard, moves focus to the chart's heading
    page.focus('#workload-table tr[data-workload="Deployment/myapp"] button')
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "lifecycle-title"
    # every control has a label
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input, select, textarea')].filter(e => !e.labels.length).map(e => e.id)"
    )
    assert unlabelled == []


CONTRAST = """
(selectors) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (e) => {
    for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (!c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") return c;
    }
    return "rgb(255, 255, 255)";
  };
  return selectors.map((s) => {
    const e = document.querySelector(s);
    const [a, b] = [lum(getComputedStyle(e).color), lum(background(e))];
    return [s, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}
"""


def test_text_is_readable_against_its_background(page: Page) -> None:
    calculate(page, (ROOT / "examples" / "pod.json").read_text())
    selectors = ["body", "label", "#status", ".badge", "#calculate", "#clear", ".hint", "ul.figures li.unbounded"]
    ratios = dict(page.evaluate(CONTRAST, selectors))
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios


def test_without_cluster_objects_the_plan_keeps_its_placeholder(page: Page) -> None:
    with page.expect_response(lambda response: response.url.endswith(PLAN)) as plan:
        calculate(page, (ROOT / "examples" / "pod.json").read_text())
    assert plan.value.status == 200
    expect(page.locator("#plan-placeholder")).to_be_visible()
    expect(page.locator("#plan-placeholder")).to_contain_text("Plan: add LimitRange / ResourceQuota / Node objects")
    expect(page.locator("#plan-body")).to_be_empty()


def test_plan_view_shows_quota_bars_and_pods_per_node(page: Page) -> None:
    """examples/plan.yaml, worked out in the README: quota requests.cpu 5, asked 5750m (115%),
    binding; the report Job's second pod refused; 2 nodes of the 4x16 shape, web 5 per node."""
    with page.expect_response(lambda response: response.url.endswith(PLAN)):
        calculate(page, (ROOT / "examples" / "plan.yaml").read_text())
    expect(page.locator("#plan-placeholder")).to_be_hidden()
    cpu = page.locator('.quota-line[data-resource="requests.cpu"]')
    expect(cpu).to_have_class("quota-line binding over")
    expect(cpu).to_contain_text("5.75 of 5 (115%)")  # 5750m
    expect(cpu).to_contain_text("binds first")
    expect(page.locator('.quota-line[data-resource="requests.memory"]')).to_contain_text(
        "10.25Gi of 16Gi (64.06%)"
    )  # 10496Mi
    expect(page.locator('.quota-line[data-resource="pods"] meter')).to_have_attribute("value", "70")
    expect(page.locator("#plan-admission")).to_contain_text(
        "ResourceQuota: exceeded quota: shop-quota, requested: requests.cpu=1, used: requests.cpu=4750m, "
        "limited: requests.cpu=5"
    )
    shape = page.locator('section[aria-label="node shape general-4x16"]')
    expect(shape.locator(".nodes-needed")).to_have_text("2 node(s) needed")
    rows = shape.locator("tbody tr")
    expect(rows.nth(0)).to_have_text("Deployment/web5cpu")
    expect(rows.nth(1)).to_have_text("Job/report3cpu")
    page.screenshot(path=str(ARTIFACTS / "plan.png"), full_page=True)


def test_the_split_of_a_stream_matches_the_apis_document_numbers(page: Page) -> None:
    import yaml

    streams = [
        "a: 1",
        "---\na: 1",
        "a: 1\n---\nb: 2",
        "a: 1\n---\n",
        "# c\n---\na: 1",
        "--- {a: 1}\n--- {b: 2}",
        "a: 1\n...\n---\nb: 2",
        "",
        "---",
        "%YAML 1.1\n---\na: 1",
        "# only\n",
        "---\n---\n",
        "a: |\n  x\n  ---\nb: 1",
        "a: 1\n---  # c\nb: 2",
    ]
    counts = page.evaluate("(streams) => streams.map((s) => window.podcalc.splitDocuments(s).length)", streams)
    assert counts == [len(list(yaml.safe_load_all(s))) for s in streams]
    # several sources joined into one stream: each source's documents keep their numbers
    sources = [{"name": str(i), "text": s} for i, s in enumerate(streams)] + [{"name": "json", "text": '{\n\t"a": 1}'}]
    joined: dict[str, Any] = page.evaluate("(sources) => window.podcalc.buildRequest(sources)", sources)
    documents = list(yaml.safe_load_all(joined["body"]))
    assert len(documents) == sum(len(part["docs"]) for part in joined["parts"])
    assert documents[-1] == {"a": 1}


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


COLOURS = """
async (src) => {
  const image = new Image();
  image.src = src;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  const colours = new Set();
  let dark = 0;
  for (let i = 0; i < pixels.length; i += 4 * 7) {
    colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
    if (pixels[i] + pixels[i + 1] + pixels[i + 2] < 200) dark++;
  }
  return [colours.size, dark];
}
"""


def test_a_screenshot_of_the_dashboard_renders(page: Page, browser: Browser) -> None:
    calculate(page, (ROOT / "examples" / "pod.json").read_text())
    page.set_input_files("#files", [DATA / "multi-container-resources.yaml"])
    page.click("#calculate")
    expect(page.locator("#status")).to_have_text("2 workload(s), 2 pod(s) at once.")
    page.select_option("#pod-select", label="Pod/myjob (document 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = page.screenshot(full_page=True, path=str(ARTIFACTS / "dashboard.png"))
    chart = page.locator("#lifecycle").screenshot(path=str(ARTIFACTS / "lifecycle.png"))
    width, height = _png_size(shot)
    assert width == 1280
    assert height > 1500
    # decoded in a blank page (the dashboard's own policy rightly refuses data: images)
    blank = browser.new_page()
    try:
        for png in (shot, chart):
            colours, dark = blank.evaluate(COLOURS, "data:image/png;base64," + base64.b64encode(png).decode())
            assert colours > 20  # text, badges, bars in several colours: not a blank page
            assert dark > 100
    finally:
        blank.close()


def test_a_unit_expression_is_warned_about_at_its_field(page: Page) -> None:
    """issue 19 item 2: computed with, and the warning shown at the document and line."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
    calculate(page, pod + "    resources:\n      requests:\n        memory: 1.5 GiB\n")
    assert lines(cell(page, "Pod/p", "requests")) == ["memory 1.5Gi"]  # as a person reads it (issue 21)
    exact = page.locator('#workload-table tr[data-workload="Pod/p"] [data-col="requests"] .qty')
    assert exact.get_attribute("title") == "1536Mi"  # the API's figure, on hover
    warning = page.locator("#doc-0 li.warning")
    expect(warning).to_have_count(1)
    assert warning.inner_text() == (
        "/spec/containers/0/resources/requests/memory 1.5 GiB is not a Kubernetes quantity: "
        "the API server would reject this manifest; write 1536Mi (line 9)"
    )
    expect(page.locator('#doc-0 span.line.marked[data-line="9"]')).to_have_count(1)


AS_WRITTEN = "as written, before LimitRange defaults"
FIGURE_COLUMNS = ["requests", "limits", "total-requests", "total-limits"]


def header_labels(page: Page) -> list[str]:
    """The label under each figure column's header of the Workloads table, in order."""
    return page.locator("#workload-table thead th .as-written").all_inner_texts()


def plan_cell(page: Page, workload: str, column: str) -> str:
    return page.locator(f'#plan-admission tr[data-workload="{workload}"] [data-col="{column}"]').inner_text()


ISSUE_19_STREAM = """apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
  - {type: Container, defaultRequest: {cpu: 250m}, default: {cpu: 500m}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - {name: a, resources: {requests: {cpu: 500m}}}
      - {name: b}
"""


def test_with_a_limit_range_the_workloads_table_labels_its_figures_and_shows_the_admitted_ones(page: Page) -> None:
    """issue 19 item 6, the issue's own figures: as written the pod requests 500m (a's; b
    asks nothing) and every limit is unbounded. The LimitRange gives b a request of 250m
    and each container a limit of 500m, so the admitted pod requests 750m and limits cpu 1
    (2 x 500m); for 2 replicas 1 (2 x 500m) as written, 1500m and 2 admitted. The Plan
    shows the same admitted figures."""
    calculate(page, ISSUE_19_STREAM)
    expect(page.locator("#workload-table thead th .as-written")).to_have_count(4)
    columns = page.locator("#workload-table thead th .as-written").evaluate_all(
        "(labels) => labels.map((l) => l.parentElement.dataset.col)"
    )
    assert columns == FIGURE_COLUMNS
    assert header_labels(page) == [AS_WRITTEN] * 4
    assert lines(cell(page, "Deployment/web", "requests")) == ["cpu 500m → admitted 750m"]
    assert lines(cell(page, "Deployment/web", "limits")) == [
        "cpu unbounded → admitted 1",
        "memory unbounded",
        "ephemeral-storage unbounded",
    ]
    assert lines(cell(page, "Deployment/web", "total-requests")) == ["cpu 1 → admitted 1.5"]
    assert lines(cell(page, "Deployment/web", "total-limits"))[0] == "cpu unbounded → admitted 2"
    changed = page.locator('#workload-table tr[data-workload="Deployment/web"] [data-col="requests"] li.changed')
    expect(changed).to_have_attribute(
        "title", "cpu: 500m as written; 750m after the LimitRange defaults, as the Plan counts it"
    )
    expect(changed.locator(".admitted")).to_have_text("admitted 750m")
    # the Plan: the same pod, after the LimitRange's defaults
    expect(page.locator("#plan-admission thead")).to_contain_text("Requests per podafter LimitRange defaults")
    assert lines(plan_cell(page, "Deployment/web", "requests")) == ["cpu 750m"]
    assert lines(plan_cell(page, "Deployment/web", "limits")) == [
        "cpu 1",
        "memory unbounded",
        "ephemeral-storage unbounded",
    ]


LIMIT_RANGE = """apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
  - {type: Container, defaultRequest: {cpu: 750m}, default: {cpu: "1"}, max: {cpu: "1"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  template: {spec: {containers: [{name: a, resources: {requests: {memory: 64Mi}}}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big}
spec:
  template: {spec: {containers: [{name: a, resources: {limits: {cpu: "2"}}}, {name: b}]}}
"""


def test_a_figure_the_limit_range_adds_or_a_pod_it_refuses_is_said_so_beside_the_written_one(page: Page) -> None:
    """web asks no cpu: "none" as written, 750m (limit 1) admitted. big's container a limits
    cpu 2 (its request copied from it) and b asks nothing: 2 and 2 + unbounded as written,
    2750m and 3 once b has the defaults; a's limit is over the max of 1, so big's pod is
    refused, and the table says "refused at" rather than "admitted"."""
    calculate(page, LIMIT_RANGE)
    expect(page.locator("#workload-table caption")).to_have_text(
        "Each workload as written, before LimitRange defaults; the admitted figures beside those the LimitRanges change"
    )
    assert lines(cell(page, "Deployment/web", "requests")) == ["memory 64Mi", "cpu none → admitted 750m"]
    assert lines(cell(page, "Deployment/web", "limits"))[0] == "cpu unbounded → admitted 1"
    assert lines(cell(page, "Deployment/big", "requests")) == ["cpu 2 → refused at 2.75"]
    assert lines(cell(page, "Deployment/big", "limits")) == [
        "cpu 2",
        "cpu unbounded → refused at 3",
        "memory unbounded",
        "ephemeral-storage unbounded",
    ]
    assert lines(plan_cell(page, "Deployment/web", "requests")) == ["cpu 750m", "memory 64Mi"]
    assert lines(plan_cell(page, "Deployment/big", "requests")) == ["cpu 2.75"]
    expect(page.locator('#plan-admission tr[data-workload="Deployment/big"]')).to_have_class("refused")


def test_without_a_limit_range_the_workloads_table_has_no_label_and_no_admitted_figure(page: Page) -> None:
    """A ResourceQuota alone: the Plan is drawn, but nothing is defaulted, so the Workloads
    table keeps its caption and headers and shows the figures as they are."""
    quota = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {requests.cpu: '4'}}\n---\n"
    calculate(page, quota + ISSUE_19_STREAM.split("---\n")[1])
    expect(page.locator("#plan-admission")).to_be_visible()
    expect(page.locator("#workload-table caption")).to_have_text(
        "Each workload: its pod's effective figures, and the pods it runs at once"
    )
    assert header_labels(page) == []
    expect(page.locator("#workload-table li.changed")).to_have_count(0)
    assert lines(cell(page, "Deployment/web", "requests")) == ["cpu 500m"]
    assert lines(cell(page, "Deployment/web", "total-requests")) == ["cpu 1"]
    # the Plan's figures are the same pod's, and say nothing of LimitRange defaults
    expect(page.locator("#plan-admission thead .as-admitted")).to_have_count(0)
    assert lines(plan_cell(page, "Deployment/web", "requests")) == ["cpu 500m"]


def test_a_cluster_snapshot_puts_the_manifests_on_the_cluster_as_it_runs(page: Page) -> None:
    """issue 20: the snapshot file beside the manifests; the answer first, nodes as bars of
    used and free, each quota's meter after the change and at the rollout peak."""
    page.set_input_files("#snapshot", str(DATA / "snapshot" / "cluster.yaml"))
    expect(page.locator("#snapshot-name")).to_contain_text("cluster.yaml")
    calculate(page, (DATA / "snapshot" / "changes.yaml").read_text())
    expect(page.locator("#cluster-answer")).to_have_text("fits on the cluster as it is: yes")
    # web's two old pods leave (worker-1, worker-2); worker-1 takes the pending cache pod and web's two new ones
    worker = page.locator('#cluster-nodes li[data-node="worker-1"] .quota-figures')
    expect(worker).to_have_text("used cpu 0, memory 0; free cpu 2, memory 4Gi; new pods placed: 3")
    cpu = page.locator('#cluster-plan li.quota-line[data-resource="requests.cpu"] .quota-figures')
    expect(cpu).to_have_text("used 1.25, after 1.45, at the rollout peak 1.95 of 2")  # 1250m, 1450m, 1950m
    peak = page.locator('#cluster-plan li.quota-line[data-resource="requests.cpu"] meter.peak')
    assert float(peak.get_attribute("value") or "0") == 97.5

"""The auditor's report in a real browser (headless Chromium): sections, charts, Chinese glyphs.

Chromium and fonts-noto-cjk come from Debian (`make browser`, run by `make test`). The screenshot
is kept under the test's tmp folder, and copied to reports/test-artefacts/ of the repository
when CRMGUARD_KEEP_ARTEFACTS is set.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from crmguard.config import compliance_rules
from crmguard.paths import REPO_ROOT
from crmguard.report import FONT_STACK, build_report
from tests.report.browser import (
    dump_dom,
    fontconfig_without,
    missing_glyphs,
    read_png,
    screenshot,
)
from tests.report.governance_fixture import BATCH, populate

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the report once in a throwaway home; dump its DOM and take a screenshot."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRMGUARD_HOME", str(home))
        populate(home)
        report = build_report(BATCH)
    work = tmp_path_factory.mktemp("browser")
    dom = dump_dom(report, work / "profile")
    shot = screenshot(report, work / "compliance_report.png", (1280, 6000), work / "profile")
    if os.environ.get("CRMGUARD_KEEP_ARTEFACTS"):
        keep = REPO_ROOT / "reports" / "test-artefacts"
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, keep / shot.name)
    return {"report": report, "dom": dom, "screenshot": shot, "work": work}


def test_dom_has_one_section_per_rule(rendered: dict) -> None:
    sections = re.findall(r'<section class="rule [^"]*" id="rule-([A-Z]+-\d\d)"', rendered["dom"])
    assert sections == list(compliance_rules().rules)
    assert re.search(r'id="rule-FIN-01"[^>]*data-status="not_evaluated"', rendered["dom"])


def test_dom_has_the_charts(rendered: dict) -> None:
    dom = rendered["dom"]
    for chart in (
        "chart-findings",
        "chart-dsr-working",
        "chart-complaints",
        "chart-cross-border",
        "chart-tiers",
    ):
        figure = dom[dom.index(f'id="{chart}"') :]
        assert figure.index("<svg") < figure.index("</figure>"), chart
    assert dom.count("<rect") > 50


def test_dom_has_both_languages(rendered: dict) -> None:
    dom = rendered["dom"]
    rules = compliance_rules().rules
    for rule in rules.values():
        assert rule.title.zh in dom and rule.title.en in dom
    assert "合规报告" in dom and "Compliance report" in dom


def test_screenshot_kept_and_drawn(rendered: dict) -> None:
    image = read_png(rendered["screenshot"])
    assert (image.width, image.height) == (1280, 6000)
    top = image.cell(0, 0, image.width, 400)
    assert len(set(top)) > 2, "the top of the page is blank"


def test_report_cjk_text_has_glyphs(rendered: dict, tmp_path: Path) -> None:
    # the report's own font stack and its own Chinese characters, drawn by the same browser
    assert FONT_STACK in rendered["report"].read_text(encoding="utf-8")
    chars = sorted(set(CJK.findall(rendered["dom"])))
    assert len(chars) > 100
    missing = missing_glyphs(chars, FONT_STACK, tmp_path)
    assert not missing, (
        f"{len(missing)} CJK characters render as missing-glyph boxes: {missing[:20]}"
    )


@pytest.mark.parametrize("fonts", ["empty", "latin_only"])
def test_glyph_check_fails_without_cjk_fonts(fonts: str, tmp_path: Path) -> None:
    """The check is real: with fontconfig pointed away from fonts-noto-cjk, it reports boxes."""
    if fonts == "empty":
        folder = tmp_path / "no-fonts"
        folder.mkdir()
    else:
        folder = Path("/usr/share/fonts/truetype/dejavu")
        if not folder.is_dir():
            pytest.skip("DejaVu (Chromium's Debian dependency) not found")
    chars = list("个人信息合规报告未评估发现问题")
    missing = missing_glyphs(chars, FONT_STACK, tmp_path, fontconfig_without(folder, tmp_path))
    assert missing == chars

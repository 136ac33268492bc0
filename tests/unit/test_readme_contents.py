"""The README's table of contents lists every section, so a newcomer finds their way in."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_contents_list_every_section_with_working_anchors():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "readme-toc"), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_the_quick_start_comes_first_and_then_the_deployment_guide():
    sections = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("## ")]
    assert sections[:3] == ["## Contents", "## Quick start", "## Put it in front of a real number"]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(deploy/README.md)" in text and (ROOT / "deploy" / "README.md").is_file()

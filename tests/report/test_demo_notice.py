"""Every output of the demo built on ImageNet-X carries its licence notice (the folder, its tables and figures)."""

from __future__ import annotations


def test_demo_folders_carry_the_notice(demo_dir):
    for folder in (demo_dir, demo_dir / "tables", demo_dir / "figures"):
        text = (folder / "NOTICE.txt").read_text(encoding="utf-8")
        assert "CC BY-NC 4.0" in text and "ImageNet-X" in text and "Idrissi" in text
    assert any((demo_dir / "figures").glob("*.png")) and (demo_dir / "tables" / "summary.csv").is_file()

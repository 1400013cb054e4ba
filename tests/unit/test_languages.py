"""Which language the windows speak (app.system.languages): the variables in gettext's
order, the system's setting, and English for anything not shipped."""

from __future__ import annotations

import pytest

from app.system.languages import pick_language, shipped_language


@pytest.mark.parametrize(
    ("environ", "system", "expected"),
    [
        ({}, [], "en"),
        ({}, ["zh-Hans-CN", "en-US"], "zh_CN"),
        ({}, ["fr-FR", "zh-CN"], "zh_CN"),
        ({}, ["fr-FR"], "en"),
        ({"LANG": "zh_CN.UTF-8"}, ["en-US"], "zh_CN"),
        ({"LANG": "C.UTF-8"}, ["zh-CN"], "en"),
        ({"LC_MESSAGES": "zh_SG.UTF-8", "LANG": "en_US.UTF-8"}, [], "zh_CN"),
        ({"LC_ALL": "en_GB.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, [], "en"),
        ({"LANGUAGE": "zh_CN", "LANG": "en_US.UTF-8"}, [], "zh_CN"),
        ({"LANGUAGE": "fr:zh_CN:en", "LANG": "en_US.UTF-8"}, [], "zh_CN"),
        ({"LANGUAGE": "fr", "LANG": "zh_CN.UTF-8"}, [], "en"),
        ({"LANGUAGE": "", "LC_ALL": "", "LANG": "zh_CN.UTF-8"}, [], "zh_CN"),
        ({"LANG": "zh_TW.UTF-8"}, [], "en"),
        ({"LANG": "zh_HK.Big5HKSCS"}, [], "en"),
        ({"LANGUAGE": "zh_Hant_TW:zh_Hans"}, [], "zh_CN"),
        ({"LANG": "de_DE@euro"}, [], "en"),
        ({"LANG": "../../etc/passwd"}, [], "en"),
    ],
)
def test_the_language_picked(environ: dict[str, str], system: list[str], expected: str) -> None:
    assert pick_language(environ, system) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh", "zh_CN"),
        ("zh_CN.UTF-8", "zh_CN"),
        ("zh-Hans", "zh_CN"),
        ("zh_Hant", None),
        ("en_US.ISO-8859-1", "en"),
        ("POSIX", "en"),
        ("ja_JP.UTF-8", None),
        ("", None),
    ],
)
def test_shipped_language(tag: str, expected: str | None) -> None:
    assert shipped_language(tag) == expected

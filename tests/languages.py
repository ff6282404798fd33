"""Run a test module's mistake tests in both languages: in English they assert the words of each hint; in Chinese,
that the same wrong answer gets a ❌ whose whole message is Chinese (no untranslated English sentence).

In a test module::

    from tests.languages import speak_the_test_language  # noqa: F401  (the autouse fixture)

    def pytest_generate_tests(metafunc):
        run_in_both_languages(metafunc, lambda name: "mistake" in name)
"""
from __future__ import annotations

import pytest

from helpers import i18n
from tests.editions import english_sentences

LANGUAGES = ("en", "zh-CN")


def run_in_both_languages(metafunc, wanted) -> None:
    if wanted(metafunc.function.__name__):
        metafunc.fixturenames.append("language")  # a parameter the test itself does not take
        metafunc.parametrize("language", LANGUAGES)


@pytest.fixture(autouse=True)
def speak_the_test_language(request):
    """Each test speaks the language it was parametrized with (English where it was not)."""
    callspec = getattr(request.node, "callspec", None)
    with i18n.using(callspec.params.get("language", "en") if callspec else "en"):
        yield


def chinese() -> bool:
    return i18n.language() != i18n.ENGLISH


def assert_all_chinese(out: str) -> None:
    """Under Chinese, a message with no untranslated English sentence in it."""
    found = english_sentences(out)
    assert not found, "untranslated:\n" + "\n".join(found)

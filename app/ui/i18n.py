"""The app's windows in the user's language (SPEC "Languages"): Qt's own translation
machinery, with the catalogues in ``assets/translations`` (``bridgekeeper_<lang>.qm``,
compiled from the ``.ts`` beside them by ``./dev translations``, and committed).

Strings are marked with ``QCoreApplication.translate(context, text)`` (``translate`` in
the modules of ``app.ui``), which ``pyside6-lupdate`` finds; values go in with
``str.format`` after translation. English is the source language: it needs no catalogue,
and any string missing from a catalogue shows in English. No string depends on a plural
form (lupdate does not see the plural argument of ``translate`` in Python).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.system.languages import ENGLISH, pick_language
from app.system.resources import MissingAsset, asset

log = logging.getLogger(__name__)

CATALOGUE = "translations/bridgekeeper_{language}.qm"
_installed: list[QTranslator] = []
"""Python references to the installed translators (PySide drops what it does not hold)."""
_current = [ENGLISH]


def current_language() -> str:
    """The language the windows speak (``app.system.languages.SHIPPED``)."""
    return _current[0]


def catalogue(language: str) -> str:
    """The path of ``language``'s compiled catalogue; ``MissingAsset`` when absent."""
    return str(asset(CATALOGUE.format(language=language)))


def install_translations(app: QCoreApplication, environ: Mapping[str, str] | None = None) -> str:
    """Pick the language (``app.system.languages``) and install its catalogues in ``app``:
    ours, and Qt's own for the texts Qt draws itself (a text field's context menu).
    Returns the language picked; a catalogue that cannot be loaded leaves English."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    language = pick_language(
        os.environ if environ is None else environ, QLocale.system().uiLanguages()
    )
    QLocale.setDefault(QLocale(language))
    _current[0] = ENGLISH
    if language == ENGLISH:
        return ENGLISH
    try:
        ours = catalogue(language)
    except MissingAsset as error:
        log.error("%s; the windows stay in English", error)
        return ENGLISH
    translator = QTranslator(app)
    if not translator.load(ours):
        log.error("cannot load the translation %s; the windows stay in English", ours)
        return ENGLISH
    app.installTranslator(translator)
    _installed.append(translator)
    qt_own = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt_own.load(f"qtbase_{language}", folder):
        app.installTranslator(qt_own)
        _installed.append(qt_own)
    else:
        log.info("Qt's own %s translation is not installed (%s)", language, folder)
    _current[0] = language
    log.info("windows in %s", language)
    return language

"""The tray's "Allowed extensions…" window (SPEC 1.1 "Tray menu"): the extensions allowed
to use Bridgekeeper, with their names and browser family; remove one (it is also taken
out of the browsers' manifests); add one, picked from the extensions installed in the
detected browsers' profiles (read in a worker thread: ``app.integration.profiles``) or
typed as an id."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.blocking import BlockingRunner
from app.integration import manifests
from app.integration.browsers import BROWSERS, Browser, Machine, detect, user_location
from app.integration.install import Action, current_machine, install, repair
from app.integration.profiles import InstalledExtension, installed_extensions
from app.system import settings
from app.system.extensions import MAX_NAME
from app.ui.colors import danger_text, with_visible_fields
from app.ui.i18n import current_language
from app.ui.widgets import family_text, load_icon, text_label
from app.ui.windows import buttons_row, cell, fit_column, window_title

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

SCAN_TIMEOUT = 60.0
"""Reading every profile takes well under a second; a stuck disk gets this long."""
NAME_MAX = MAX_NAME


def profile_languages() -> list[str]:
    """The ``_locales`` folders to read an extension's name from, best first."""
    language = current_language()
    return [language, language.split("_")[0]] if "_" in language else [language]


class AddExtensionDialog(QDialog):
    """Pick extensions installed in the browsers, or type an id (and a name). ``chosen``
    holds what to allow once accepted, with the browsers each was found in."""

    def __init__(
        self,
        parent: QWidget | None,
        runner: BlockingRunner,
        machine: Machine,
        allowed: set[tuple[str, str]],
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title(translate("AddExtensionDialog", "Allow an extension")))
        self.setWindowIcon(load_icon())
        self.resize(760, 520)
        self.setPalette(with_visible_fields(self.palette()))
        self._allowed = allowed
        self.chosen: list[tuple[settings.Extension, list[str]]] = []
        self.found: list[InstalledExtension] = []
        layout = QVBoxLayout(self)
        layout.addWidget(
            text_label(
                translate(
                    "AddExtensionDialog",
                    "Allow only extensions you trust: they can ask you to confirm, choose or "
                    "type, and keep secrets in your keychain.",
                )
            )
        )
        self.status = text_label(
            translate("AddExtensionDialog", "Looking in your browsers' profiles…"), muted=True
        )
        layout.addWidget(self.status)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(
            translate("AddExtensionDialog", "Filter by name, browser or ID")
        )
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        filter_label = QLabel(translate("AddExtensionDialog", "&Filter:"))
        filter_label.setBuddy(self.filter)
        row = QHBoxLayout()
        row.addWidget(filter_label)
        row.addWidget(self.filter, 1)
        layout.addLayout(row)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(
            [
                translate("AddExtensionDialog", "Name"),
                translate("AddExtensionDialog", "Installed in"),
                translate("AddExtensionDialog", "ID"),
            ]
        )
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAllColumnsShowFocus(True)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.header().setStretchLastSection(False)
        self.table.itemSelectionChanged.connect(self._update)
        self.table.itemDoubleClicked.connect(lambda *_: self._accept())
        layout.addWidget(self.table, 1)
        self._typed_part(layout)
        self._update()
        languages = profile_languages()
        runner.run(
            lambda: installed_extensions(machine, languages),
            self._show_found,
            self._show_failure,
            SCAN_TIMEOUT,
        )

    def _typed_part(self, layout: QVBoxLayout) -> None:
        typed = QFormLayout()
        self.id_field = QLineEdit()
        self.id_field.setPlaceholderText(
            translate("AddExtensionDialog", "32 letters a to p, name@example.org or {GUID}")
        )
        self.id_field.textChanged.connect(self._update)
        self.name_field = QLineEdit()
        self.name_field.setMaxLength(NAME_MAX)
        self.name_field.setPlaceholderText(
            translate("AddExtensionDialog", "The name dialogs will show (optional)")
        )
        typed.addRow(translate("AddExtensionDialog", "Or type an &ID:"), self.id_field)
        typed.addRow(translate("AddExtensionDialog", "&Name:"), self.name_field)
        layout.addLayout(typed)
        self.problem = text_label("")
        palette = self.problem.palette()
        palette.setColor(palette.ColorRole.WindowText, danger_text(palette))
        self.problem.setPalette(palette)
        self.problem.setVisible(False)
        layout.addWidget(self.problem)
        self.allow_button = QPushButton(translate("AddExtensionDialog", "&Allow"))
        self.cancel_button = QPushButton(translate("AddExtensionDialog", "&Cancel"))
        self.cancel_button.setDefault(True)
        self.allow_button.setAutoDefault(False)
        self.allow_button.clicked.connect(self._accept)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.allow_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

    # -- the scan's result, on the GUI thread -------------------------------------------
    def _show_found(self, found: list[InstalledExtension]) -> None:
        self.found = found
        for extension in found:
            allowed = (extension.family, extension.id) in self._allowed
            name = cell(extension.name) or translate("AddExtensionDialog", "(no name)")
            if allowed:
                name = translate("AddExtensionDialog", "{name} (already allowed)").format(name=name)
            item = QTreeWidgetItem([name, cell(", ".join(extension.places)), extension.id])
            item.setData(0, Qt.ItemDataRole.UserRole, (extension.family, extension.id))
            item.setToolTip(1, cell("\n".join(extension.places)))
            if allowed:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.table.addTopLevelItem(item)
        for column in (1, 2):
            fit_column(self.table, column)
        self.status.setText(
            translate("AddExtensionDialog", "Extensions found in your browsers: {count}.").format(
                count=len(found)
            )
            if found
            else translate(
                "AddExtensionDialog",
                "No extension found in the profiles of the browsers on this computer. "
                "Type its ID below.",
            )
        )
        self._apply_filter(self.filter.text())

    def _show_failure(self, error: Exception) -> None:
        log.warning("reading the browsers' profiles failed: %s", error)
        self.status.setText(
            translate(
                "AddExtensionDialog", "The browsers' profiles could not be read. Type an ID below."
            )
        )

    # -- choosing ------------------------------------------------------------------------
    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(row)
            if item is not None:
                parts = [item.text(column).casefold() for column in range(3)]
                item.setHidden(bool(needle) and not any(needle in part for part in parts))

    def _typed(self) -> settings.Extension | None:
        """The typed id as an extension; None when empty; ``BadExtension`` when wrong."""
        ident = self.id_field.text().strip()
        if not ident:
            return None
        if "=" in ident:
            raise settings.BadExtension(ident)
        extension = settings.parse_extension(ident)
        name = " ".join(self.name_field.text().split())
        return settings.Extension(extension.family, extension.id, name)

    def _update(self) -> None:
        problem = ""
        try:
            typed = self._typed()
        except settings.BadExtension:
            typed = None
            problem = translate(
                "AddExtensionDialog",
                "This is not an extension ID. A Chromium-family ID is 32 letters from a to p "
                "(or chrome-extension://ID/); a Firefox add-on ID looks like name@example.org "
                "or {GUID}.",
            )
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.allow_button.setEnabled(typed is not None or bool(self.table.selectedItems()))

    def _accept(self) -> None:
        chosen: list[tuple[settings.Extension, list[str]]] = []
        by_key = {(e.family, e.id): e for e in self.found}
        for item in self.table.selectedItems():
            family, ident = item.data(0, Qt.ItemDataRole.UserRole)
            found = by_key[(family, ident)]
            name = " ".join(found.name.split())[:NAME_MAX]
            chosen.append((settings.Extension(family, ident, name), found.places))
        try:
            typed = self._typed()
        except settings.BadExtension:
            self._update()
            return
        if typed is not None:
            chosen.append((typed, []))
        if not chosen:
            return
        self.chosen = chosen
        self.accept()


class AllowedExtensionsWindow(QWidget):
    """The allowed extensions; adding or removing one changes the settings (the app's
    allow-list follows at once) and the browsers' manifests."""

    def __init__(
        self,
        runner: BlockingRunner,
        machine: Callable[[], Machine] = current_machine,
        host: Callable[[], Path] = manifests.host_path,
    ) -> None:
        super().__init__(None)
        self._runner = runner
        self._machine = machine
        self._host = host
        self.add_dialog: AddExtensionDialog | None = None
        self.question: QMessageBox | None = None
        self.setWindowTitle(
            window_title(translate("AllowedExtensionsWindow", "Allowed extensions"))
        )
        self.setWindowIcon(load_icon())
        self.resize(760, 380)
        layout = QVBoxLayout(self)
        layout.addWidget(
            text_label(
                translate(
                    "AllowedExtensionsWindow",
                    "These extensions may send requests to Bridgekeeper; any other is refused.",
                )
            )
        )
        self.table = QTreeWidget()
        self.table.setHeaderLabels(
            [
                translate("AllowedExtensionsWindow", "Name"),
                translate("AllowedExtensionsWindow", "Browser"),
                translate("AllowedExtensionsWindow", "ID"),
            ]
        )
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAllColumnsShowFocus(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        self.status = text_label("", muted=True)
        layout.addWidget(self.status)
        self.add_button = QPushButton(translate("AllowedExtensionsWindow", "&Add…"))
        self.remove_button = QPushButton(translate("AllowedExtensionsWindow", "&Remove"))
        self.close_button = QPushButton(translate("AllowedExtensionsWindow", "&Close"))
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove_selected)
        self.close_button.clicked.connect(self.close)
        layout.addLayout(buttons_row(self.add_button, self.remove_button, close=self.close_button))
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # `bridgekeeper extensions` may have changed them meanwhile

    def _load(self) -> settings.Settings | None:
        try:
            return settings.load()
        except settings.SettingsError as error:
            log.error("%s", error)
            self.status.setText(str(error))
            return None

    def refresh(self) -> None:
        self.table.clear()
        config = self._load()
        if config is None:
            self._update_buttons()
            return
        for extension in config.effective:
            name = cell(extension.name) or translate("AllowedExtensionsWindow", "(no name given)")
            managed = config.is_managed(extension.family, extension.id)
            if managed:
                name = translate(
                    "AllowedExtensionsWindow", "{name} (allowed by your administrator)"
                ).format(name=name)
            item = QTreeWidgetItem([name, family_text(extension.family), extension.id])
            item.setData(0, Qt.ItemDataRole.UserRole, (extension.family, extension.id))
            if managed:
                # The policy's: shown, but only an administrator can remove it.
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
                item.setToolTip(
                    0,
                    translate(
                        "AllowedExtensionsWindow",
                        "Allowed for every user by the system policy ({source}).",
                    ).format(source=config.policy.source),
                )
            self.table.addTopLevelItem(item)
        for column in range(2):  # the last one takes the rest of the width
            fit_column(self.table, column)
        if not config.effective:
            self.status.setText(
                translate(
                    "AllowedExtensionsWindow",
                    "No extension is allowed yet: every request is refused. Add one.",
                )
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(bool(self.table.selectedItems()))

    def selected(self) -> list[tuple[str, str]]:
        return [
            tuple(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.table.selectedItems()
        ]

    # -- adding ------------------------------------------------------------------------
    def add(self) -> None:
        config = self._load()
        if config is None:
            return
        try:
            machine = self._machine()
        except OSError as error:
            self.status.setText(str(error))
            return
        allowed = {(e.family, e.id) for e in config.effective}
        dialog = AddExtensionDialog(self, self._runner, machine, allowed)
        self.add_dialog = dialog
        dialog.accepted.connect(lambda: self._allow(dialog.chosen))
        dialog.open()

    def _allow(self, chosen: list[tuple[settings.Extension, list[str]]]) -> None:
        config = self._load()
        if config is None:
            return
        for extension, _places in chosen:
            config.allow(extension)
        labels = {place.rsplit(" (", 1)[0] for _ext, places in chosen for place in places}
        families = {ext.family for ext, _places in chosen}
        try:
            settings.save(config)
            actions = self._update_manifests(config, families, labels)
        except (OSError, settings.SettingsError) as error:
            log.error("allowing extensions failed: %s", error)
            self.status.setText(
                translate("AllowedExtensionsWindow", "Could not allow it: {error}").format(
                    error=error
                )
            )
            self.refresh()
            return
        names = ", ".join(cell(ext.name) or ext.id for ext, _places in chosen)
        log.info("allowed from the tray: %s", names)
        self.refresh()
        self.status.setText(
            translate("AllowedExtensionsWindow", "Allowed: {names}.").format(names=names)
            + manifest_summary(actions)
        )

    def _update_manifests(
        self, config: settings.Settings, families: set[str], labels: set[str]
    ) -> list[Action]:
        """Rewrite our manifests with the new list; and register with each browser of an
        added extension's family that has none of ours yet (those it was found in, or
        every detected one for a typed id)."""
        machine = self._machine()
        host = self._host()
        actions = repair(machine, config, host)
        targets: list[Browser] = []
        for browser in BROWSERS:
            if browser.family not in families or not detect(browser, machine).executable:
                continue
            location = user_location(browser, machine)
            if location is None or manifests.is_ours(location.path):
                continue
            if not labels or browser.label in labels:
                targets.append(browser)
        if targets:
            actions += install(machine, config, host, targets)
        return actions

    # -- removing ----------------------------------------------------------------------
    def remove_selected(self) -> None:
        chosen = self.selected()
        if not chosen or not self._confirm_remove(chosen):
            return
        config = self._load()
        if config is None:
            return
        removed = [found for family, ident in chosen if (found := config.remove(family, ident))]
        try:
            settings.save(config)
            actions = repair(self._machine(), config, self._host())
        except (OSError, settings.SettingsError) as error:
            log.error("removing extensions failed: %s", error)
            self.status.setText(
                translate("AllowedExtensionsWindow", "Could not remove it: {error}").format(
                    error=error
                )
            )
            self.refresh()
            return
        names = ", ".join(cell(ext.name) or ext.id for ext in removed)
        log.info("removed from the allowed extensions from the tray: %s", names)
        self.refresh()
        self.status.setText(
            translate("AllowedExtensionsWindow", "Removed: {names}.").format(names=names)
            + manifest_summary(actions)
        )

    def _confirm_remove(self, chosen: list[tuple[str, str]]) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(window_title(translate("AllowedExtensionsWindow", "Remove")))
        if len(chosen) == 1:
            question = translate(
                "AllowedExtensionsWindow", "Remove “{name}” from the allowed extensions?"
            ).format(name=self.table.selectedItems()[0].text(0))
        else:
            question = translate(
                "AllowedExtensionsWindow",
                "Remove the {count} selected extensions from the allowed ones?",
            ).format(count=len(chosen))
        box.setText(question)
        box.setInformativeText(
            translate(
                "AllowedExtensionsWindow",
                "Their requests will be refused, and the browsers will no longer start "
                "Bridgekeeper for them.",
            )
        )
        remove = box.addButton(
            translate("AllowedExtensionsWindow", "&Remove"), QMessageBox.ButtonRole.DestructiveRole
        )
        cancel = box.addButton(
            translate("AllowedExtensionsWindow", "&Cancel"), QMessageBox.ButtonRole.RejectRole
        )
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.question = box
        box.exec()
        self.question = None
        return box.clickedButton() is remove


def manifest_summary(actions: list[Action]) -> str:
    """ " Manifests updated: Chromium, Firefox." (or nothing), for a status line."""
    labels = {browser.name: browser.label for browser in BROWSERS}
    done = sorted(
        {labels.get(a.browser, a.browser) for a in actions if a.what in ("wrote", "repaired")}
    )
    failed = sorted({labels.get(a.browser, a.browser) for a in actions if a.what == "failed"})
    text = ""
    if done:
        text += " " + translate("AllowedExtensionsWindow", "Browsers updated: {browsers}.").format(
            browsers=", ".join(done)
        )
    if failed:
        text += " " + translate(
            "AllowedExtensionsWindow", "Could not update: {browsers} (see the log)."
        ).format(browsers=", ".join(failed))
    return text

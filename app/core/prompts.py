"""What the prompt queue asks of the dialogs, and what the dialogs answer.

The queue (plain Python) decides which prompt is shown, when it times out or is
cancelled; a ``Presenter`` (the widgets) only shows it and reports the user's answer,
which the composition root passes to ``PromptQueue.answer``. Tests replace the presenter;
the shipped app has no presenter that answers by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

PromptKind = Literal["confirm", "choose", "prompt"]
Decision = Literal["allow", "deny", "submit", "cancel"]


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Prompt:
    """One dialog's content. Text is untrusted: the presenter shows it as plain text."""

    key: int
    """Unique for the app's lifetime; the presenter hands it back with the answer."""
    kind: PromptKind
    browser: str
    """Who asks, from host data: the browser's display name ("Chromium"), or its family's
    label when the host could not tell which browser started it."""
    extension_id: str
    extension_name: str
    """The name given to the extension at install time, or "" when it has none."""
    title: str
    message: str = ""
    details: str = ""
    site: str = ""
    """The site (origin) the request is about, or "" when none was given."""
    allow_label: str = ""
    deny_label: str = ""
    danger: bool = False
    options: tuple[Option, ...] = ()
    default: str | None = None
    """``choose``: the preselected option id; ``prompt``: the initial text."""
    placeholder: str = ""
    secret: bool = False
    """``prompt``: mask the input."""
    max_length: int = 1024
    can_remember: bool = False
    """Offer "Remember this decision" (the request carried an ``action`` and is not
    ``danger``)."""
    remember_locked: bool = False
    """The request could be remembered, but the administrator's policy turns remembering
    off: the box is shown greyed out, saying why (a locked control is shown, not hidden)."""
    family: str = ""
    """The browser family (``host.caller.FAMILIES``), from host data."""
    timeout: float = 60.0
    deadline: float = 0.0
    """``time.monotonic()`` at which the queue answers with reason ``timeout``: the moment
    the queue showed it plus ``timeout``. 0.0 while it waits behind another prompt (the
    presenter is only ever given prompts that are shown)."""


@dataclass(frozen=True)
class Answer:
    """What the user chose in the dialog of ``Prompt.key``."""

    decision: Decision
    choice: str | None = None
    value: str | None = None
    remember: bool = False
    closed: bool = False
    """The user closed the window (title bar, Alt+F4) instead of pressing a button: the
    decision is then "deny"/"cancel" and the reply's reason is ``closed``, not ``user``."""


AnswerCallback = Callable[[int, Answer], None]


class Presenter(Protocol):
    """The dialogs, as the queue sees them. Calls come on the GUI thread."""

    def show(self, prompt: Prompt, waiting: int) -> None:
        """Show ``prompt`` (the front of the queue); ``waiting`` more are queued behind it.
        The user's answer, reported later, goes to ``PromptQueue.answer``."""

    def set_waiting(self, waiting: int) -> None:
        """The number queued behind the shown prompt changed ("1 of 3")."""

    def close(self, key: int) -> None:
        """Close the dialog of ``key`` without an answer: it timed out, was cancelled, or
        its host went away. Must not report an answer for it."""

    def bring_forward(self) -> bool:
        """Raise and focus the shown dialog; False when it could not be brought forward."""

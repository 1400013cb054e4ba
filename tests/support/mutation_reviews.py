"""Surviving mutants reviewed as equivalent (no test can tell them from the original:
the program does the same on every platform the code runs on) or harmless (slower or
busier, never a wrong answer, a lost request or a wait without end). Each is keyed by
its module, the function that holds it, and its original and mutated lines (stripped,
as ``mutation.review_key`` gives them), and says why. ``./dev mutate`` prints them apart
and leaves them out of the score (the raw score is printed beside it); a survivor not
listed here is a gap until a test kills it or a review lands here. A review that only
holds on one platform says so ("Windows only": a difference no machine here can show).
"""

# ruff: noqa: E501 (source lines are keys, whatever their length)
from __future__ import annotations

# Equivalent: the same behaviour.
PLATFORM_ORDER = (
    "sys.platform compared by order with 'win32': the same truth on linux, darwin and win32"
)
DISJOINT_BITS = "'|' made '+' or '^' on flags that share no bit: the same number"
OVERWRITTEN = "the value is overwritten before anything reads it"
DEADLINE_INSTANT = (
    "'>' and '>=' swapped on a time and its deadline: differs only at the exact instant "
    "of the deadline (a look or a probe one loop sooner or later, with a pause of 0)"
)
UNUSED_AFTER_LOST = "a value returned after the link is lost, which no caller reads then"
LONE_QUOTE = (
    "a word of one character that starts and ends with '\"' is a quote never closed, "
    "which shlex refuses first; shlex makes no empty word"
)
FD0_AT_EXIT = "closes fd 0 when the host exits, which exiting does anyway"
WINDOWS_METHODS_DEFINED = "defines the Windows-only methods on Linux too, where nothing calls them"

# Windows only: equivalent wherever the code has run; the difference needs Windows.
WINDOWS_FLAG_DEFAULT = (
    "Windows only: the default of a flag POSIX always has (os.O_NOFOLLOW, os.O_CLOEXEC)"
)
PLATFORM_ORDER_WINDOWS = (
    "Windows only: sys.platform compared by order with 'win32' keeps its truth on linux "
    "and darwin; only on win32 does it change"
)

# Harmless: the same answers, some extra work.
EXTRA_FLUSH = (
    "flushes on readable events too: a flush with room writes, without room writes "
    "nothing (non-blocking)"
)
EXTRA_RECEIVE = (
    "receives on writable-only events too: a non-blocking receive that finds nothing "
    "returns at once (BlockingIOError)"
)
EARLY_WAKEUP = (
    "waits at most a second between looks at the app's liveness instead of until the "
    "next probe: probes and the give-up still fall due at their times"
)
NO_POLLOUT_WAIT = (
    "while requests wait to be written the host does not wait for room: it writes them "
    "when the browser sends more or a probe falls due. Measured: an app catching up "
    "with 8 MiB got it all in 0.78 s instead of 0.17 s"
)
NOINHERIT_WINDOWS = (
    "Windows only: os.O_NOINHERIT exists only there; elsewhere the mutant shifts, adds, "
    "subtracts or xors 0"
)
NEGATIVE_TIMEOUT = "any negative poll timeout waits without end"
APP_SENDS_NO_HELLO = "the app sends no HELLO or REQUEST frames (kinds 1 and 2), only to it"
SAME_POLL_LATER = (
    "the app's events found by the same poll as the browser's are handled by the next "
    "poll, at once (poll reports them again until they are handled)"
)
MASK_ONE_POLL_LATE = (
    "a changed poll mask is applied one poll later: at most one more read of the "
    "browser (64 KiB) past 8 MiB. Measured: 8.375 MiB held, the test's bound is 9 MiB"
)

BUSY_UNTIL_MORE = (
    "room to write is not taken when it comes: the host polls without sleeping until the "
    "browser sends more or a probe falls due (at most 2 s), then writes; busier, not wrong"
)

# The core (app/core/).
KEYWORD_ONLY = (
    "'*' of keyword-only parameters made '/': every caller passes those arguments by keyword"
)
PROTOCOL_PROPERTY = "a @property removed from a typing Protocol, which only mypy reads"
DATACLASS_EQ = "a dataclass with eq=True: nothing compares or hashes its objects"
LAST_RESORT = (
    "the last-resort 'except Exception' of parse_request, for what json.loads raises on "
    "no input (MemoryError and the like): no input can reach it"
)

SINGLETON_IS = "'==' made 'is' on bools: True and False are one object each"
SMALL_INT_IS = (
    "'>=' made 'is' on a count and its limit (20, 200): a count stops at its limit, and "
    "ints up to 256 are one object each"
)
COUNT_STOPS_AT_LIMIT = "'>=' made '==' on a count that stops at its limit, never passes it"
SAME_OBJECT = (
    "'==' made 'is' where both sides are the same object when equal (the key the "
    "presenter got from the prompt itself; a connection's own id)"
)
AFTER_APPEND = "right after an append the list holds at least one: '<= 1' is '== 1'"
LITERAL_ORDER = (
    "compared by order among the only values its Literal type allows (decisions: allow, "
    "deny, submit, cancel; kinds: confirm, choose, prompt; stored: allow, deny): the "
    "same truth"
)
IDENTITY_EQ = (
    "'is' made '==' (or 'is not' made '!=') on objects whose '==' is 'is' (a dataclass "
    "with eq=False, a link without __eq__)"
)

CLOEXEC_REDUNDANT = (
    "'|' made '*', '%' or '&' next to O_CLOEXEC: drops it from the launch lock, "
    "which the app does not inherit all the same (it is started with close_fds=True)"
)
POLL_MADE_LATER = (
    "the first poll object is not made in __init__: _poller makes one for each new link "
    "before anything polls it"
)

SHORTER_WAIT = "waits 0.1 % less; the next look waits the rest"
LONGER_PAUSE = (
    "pauses 0.1 % longer between looks for the app (5.005 ms for 5 ms): each look still "
    "checks the deadline first"
)
POLL_ON_WINDOWS = (
    "Windows only: on linux and darwin the first poll object is made by _poller for the "
    "first link instead of in __init__ (the same); on win32, which has no select.poll, "
    "the host would fail as it starts. No test here builds a Relay as on Windows"
)
HELD_LESS = (
    "holds 1 or 8 KiB (0.1 %) less, or more, for an app that does not read before it stops "
    "reading the browser: the bound on the host's memory moves by 0.1 %"
)
LAST_PAUSE = (
    "'-' made '//' on a deadline and now: the quotient is 1 until the deadline passes, "
    "then 0, so the looks end as before; only the last pause may end up to 5 ms past "
    "the deadline instead of at it"
)
ALWAYS_POSITIVE = (
    "max(0.0, ...) made max(-1.0, ...) on the wait _liveness returns: the give-up and the "
    "next probe both lie after now, so the wait is above 0 and max returns it alike"
)
END_LONGER = (
    "waits 0.1 % longer for the app's last answers (under 1 ms past the end's grace "
    "of 0.75 s); the loop checks the grace again"
)
SMALL_STR_IS = (
    "'==' made 'is' between two characters that must then both be '\"': CPython keeps one "
    "object for each character below U+0100"
)
POLLER_EACH_LOOP = (
    "'==' made 'is' on a fresh tuple (never the same object): the poll object is asked "
    "for through _poller on every loop, which finds nothing changed and modifies nothing"
)
FLUSH_ON_ERRORS = (
    "'&' made '//' on poll events: a flush also on an error or hang-up event (8, 16), "
    "which then fails and is handled as the app gone, as the receive would"
)
SEQ_STEP = (
    "the host's seqs go up by 2 instead of 1: any seq unique on the link works, the app "
    "echoes it (it would wrap after 2**31 requests on one port instead of 2**32)"
)
SMALL_INT_FD = (
    "'!=' made 'is not' on the host's file descriptors (it holds a handful, far under "
    "256): ints up to 256 are one object each"
)
POLLIN_IS_1 = "0 made 1 in a mask or'ed with POLLIN, which is 1: the same mask"
BODY_NEVER_OVERFILLED = (
    "'<' made '!=' on the bytes read into a frame's buffer and its length: readinto is "
    "given the rest of the buffer, so they never pass it"
)
SKIP_FAR = (
    "max(0, ...) made max(-1, ...) or max(1, ...) on the rest of an oversize frame to skip: the frame is "
    "over 64 MiB and the buffer holds at most one read of 64 KiB, so the rest is far above 0"
)
SAME_BYTES = (
    "'>' made '>=', '!=' or 'is not' on a frame's end and READ_CHUNK: a partial frame of 64 KiB "
    "or less is read into a buffer of its own too; the same bytes come out"
)
WAIT_LONGER = (
    "waits 0.1 % longer for the next probe (2 ms in 2 s); each wake looks at the probe "
    "and the give-up again"
)
PLATFORM_IS = (
    "Windows only: 'sys.platform is \"win32\"' is false on linux and darwin, as '==' is; "
    "on win32 it depends on string interning (Python warns of it: SyntaxWarning)"
)
HELD_AT_LIMIT = (
    "'<' made '<=' on what is held and 8 MiB: at exactly 8 MiB the browser is read once "
    "more (64 KiB at most)"
)
BROWSER_FD_LOWER = (
    "'!=' made '<' between the browser's descriptor (0) and the app's socket (opened "
    "later, so higher): the same truth"
)
PROTOCOL_CLASS = (
    "a decorator removed from a member of a typing.Protocol, which only type checkers "
    "read (nothing calls a Protocol's members)"
)
ID_AT_MOST_100 = (
    "an option id quoted in a message is at most 100 characters (a longer one is refused "
    "first): [:100] and [:101] cut nothing"
)
OPERATION_ORDER = (
    "'==' made '>=' on the operation after secret.get is handled: only secret.set and "
    "secret.delete reach it, and 'secret.delete' sorts before 'secret.set'"
)
ANY_SEQ = (
    "ALIVE's seq may be any (host/protocol.py, rule 7): the app echoes it, and the host "
    "reads no ALIVE's seq"
)
POSITIVE_WAIT = (
    "'>= 0' made '> 0' on the wait _liveness returns, which is -1 or above 0 (the give-up "
    "and the next probe both lie after now): the same branch"
)
NOT_FROZEN = "a frozen dataclass made mutable: nothing assigns to its fields"
DEFAULT_NEVER_USED = (
    "a parameter's default: every caller passes its own (the request's timeout, or the "
    "secrets' confirmation timeout)"
)
SHOWN_IS_FIRST = (
    "'==' made '<=' on the key of the prompt shown: only the dialog shown is answered or "
    "denied from, and it is the first waiting, whose key is the smallest; a stale key "
    "finds none either way"
)

BUSIER_START = (
    "'*' made '/' or '%' on the pause between looks for the starting app's socket: it pauses "
    "1 ms (poll's least) instead of 5 ms, for at most 10 s; busier, not wrong (measured: "
    "its CPU while an app takes 1.5 s to start stays under test_a_port_waits_for_an_app_"
    "that_takes_a_while_to_listen's bound, which '//', no pause at all, breaks)"
)
BUSIER_END = (
    "'*' made '**', '%', '/' or '//' on the end's wait (under a second): polls (nearly) without "
    "sleeping until the "
    "end's grace is over; busier for at most a second, not wrong"
)
WINDOWS_METHODS_LEFT_OUT = (
    "Windows only: defines the Windows methods on Linux and macOS, where nothing calls "
    "them, and leaves them out on Windows"
)

NOTHING_PRINTS = (
    "fd 1 left as the browser's pipe instead of pointed at stderr: nothing in the host "
    "writes to fd 1 (frames go to a private copy of it), so the redirect only guards "
    "against a print added one day"
)

QUOTED_WORD = (
    "shlex (not POSIX) ends a word that starts with a quote at its closing quote: its "
    "last character is '\"' whenever its first is"
)
EXTRA_LOOP = "after each probe the host polls once without waiting, then waits as before"

MOD_OF_LARGER = (
    "'-' made '%' on a deadline and now: (now + x) % now is x for the under 10 s left, "
    "the monotonic clock (seconds since boot) being far above 10 s once a browser runs"
)
ONE_ELEMENT_LIST = "[0] made [-1] on a list that holds one element (a frame, the encoder)"

LATER_RECEIVE = (
    "'&' made '+', '-' or '%' on poll events: no receive for some events (the app "
    "readable and writable at once, 5; or 10, 15, ...) "
    "(poll reports them again at the next round, at once), one more non-blocking "
    "receive otherwise"
)
SMALL_INT_KIND = "'==' made 'is' on a frame's kind: ints up to 256 are one object each"
SMALL_INT_MASK = "'!=' made 'is not' on poll masks (0, 1, 4, 5): ints up to 256 are one object each"

EXITS_NEXT = "the browser's output marked open again just before the host exits"

REVIEWED: dict[tuple[str, str, str, str], str] = {
    (
        "host/relay.py",
        "split_command",
        "return [word[1:-1] if len(word) > 1 and word[0] == word[-1] == '\"' else word for word in lexer]",
        "return [word[1:-1] if len(word) != 1 and word[0] == word[-1] == '\"' else word for word in lexer]",
    ): LONE_QUOTE,
    (
        "host/relay.py",
        "split_command",
        "return [word[1:-1] if len(word) > 1 and word[0] == word[-1] == '\"' else word for word in lexer]",
        "return [word[1:-1] if len(word) > 0 and word[0] == word[-1] == '\"' else word for word in lexer]",
    ): LONE_QUOTE,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOFOLLOW", 0)',
        '| getattr(os, "O_NOFOLLOW", -1)',
    ): WINDOWS_FLAG_DEFAULT,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_CLOEXEC", 0)',
        '| getattr(os, "O_CLOEXEC", 1)',
    ): WINDOWS_FLAG_DEFAULT,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOINHERIT", 0),',
        '+ getattr(os, "O_NOINHERIT", 0),',
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "start_app_and_connect",
        "while (left := deadline() - time.monotonic()) > 0:",
        "while (left := deadline() - time.monotonic()) >= 0:",
    ): DEADLINE_INSTANT,
    (
        "host/relay.py",
        "Relay.__init__",
        "self._probed_at = 0.0",
        "self._probed_at = 1.0",
    ): OVERWRITTEN,
    (
        "host/relay.py",
        "Relay._pause",
        'if sys.platform == "win32":',
        'if sys.platform > "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & select.POLLOUT:",
        "if events * select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events | ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay",
        'if sys.platform != "win32":',
        'if sys.platform < "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "Relay._poller",
        "app = select.POLLIN | (select.POLLOUT if link.unsent else 0)",
        "app = select.POLLIN + (select.POLLOUT if link.unsent else 0)",
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "Relay",
        'if sys.platform == "win32":',
        'if sys.platform <= "win32":',
    ): WINDOWS_METHODS_DEFINED,
    ("host/relay.py", "Relay._liveness", "return -1.0", "return +1.0"): UNUSED_AFTER_LOST,
    ("host/relay.py", "Relay._liveness", "return -1.0", "return - 2.0"): UNUSED_AFTER_LOST,
    (
        "host/relay.py",
        "Relay._liveness",
        "return max(0.0, min(give_up, probe) - now)",
        "return max(0.0, min(give_up, probe) // now)",
    ): EARLY_WAKEUP,
    ("host/relay.py", "Relay._receive", "return True", "return False"): UNUSED_AFTER_LOST,
    (
        "host/relay.py",
        "Relay._finish",
        "while link is not None and link.alive and (left := deadline - time.monotonic()) > 0:",
        "while link is not None and link.alive and (left := deadline - time.monotonic()) >= 0:",
    ): DEADLINE_INSTANT,
    (
        "host/relay.py",
        "Relay._finish",
        'if sys.platform == "win32":',
        'if sys.platform > "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    (
        "host/relay.py",
        "Relay._finish",
        'if sys.platform == "win32":',
        'if sys.platform >= "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events / ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events // ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "main",
        'stdin = io.FileIO(0, "rb", closefd=False)',
        'stdin = io.FileIO(0, "rb", closefd=True)',
    ): FD0_AT_EXIT,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOINHERIT", 0),',
        '>> getattr(os, "O_NOINHERIT", 0),',
    ): NOINHERIT_WINDOWS,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "timeout = -1.0",
        "timeout = - 2.0",
    ): NEGATIVE_TIMEOUT,
    ("host/relay.py", "Relay._wait_for_input", "continue", "break"): SAME_POLL_LATER,
    (
        "host/relay.py",
        "Relay._poller",
        "if browser != was_browser:",
        "if browser == was_browser:",
    ): MASK_ONE_POLL_LATE,
    (
        "host/relay.py",
        "Relay._receive",
        "if kind == protocol.REPLY:",
        "if kind <= protocol.REPLY:",
    ): APP_SENDS_NO_HELLO,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events & ~select.POLLOUT or link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "split_command",
        'if platform != "win32":',
        'if platform < "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "_try_lock",
        "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
        "fcntl.flock(fd, fcntl.LOCK_EX ^ fcntl.LOCK_NB)",
    ): DISJOINT_BITS,
    (
        "app/core/fields.py",
        "text",
        "def text(message: Fields, name: str, limit: int, *, required: bool = False) -> str:",
        "def text(message: Fields, name: str, limit: int, /, required: bool = False) -> str:",
    ): KEYWORD_ONLY,
    ("app/core/dispatch.py", "Client", "\n@property", ""): PROTOCOL_PROPERTY,
    ("app/core/dispatch.py", "", "@dataclass(eq=False)", "@dataclass(eq=True)"): DATACLASS_EQ,
    (
        "app/core/dispatch.py",
        "parse_request",
        "except Exception as error:  # MemoryError and the like: still one reply",
        "except CosmicRayTestingException as error:  # MemoryError and the like: still one reply",
    ): LAST_RESORT,
    (
        "app/core/dispatch.py",
        "Dispatcher.register",
        "self, type_: str, validate: Validator, handler: Handler, *, any_thread: bool = False",
        "self, type_: str, validate: Validator, handler: Handler, /, any_thread: bool = False",
    ): KEYWORD_ONLY,
    (
        "app/core/queue.py",
        "PromptQueue.set_paused",
        "if paused == self._paused:",
        "if paused is self._paused:",
    ): SINGLETON_IS,
    (
        "app/core/queue.py",
        "PromptQueue._submit",
        "if len(self._pending) == 1:",
        "if len(self._pending) <= 1:",
    ): AFTER_APPEND,
    (
        "app/core/queue.py",
        "PromptQueue._busy",
        "if len(self._pending) >= self._overall_limit:",
        "if len(self._pending) == self._overall_limit:",
    ): COUNT_STOPS_AT_LIMIT,
    (
        "app/core/queue.py",
        "PromptQueue._busy",
        "if mine >= self._per_extension_limit:",
        "if mine is self._per_extension_limit:",
    ): SMALL_INT_IS,
    (
        "app/core/queue.py",
        "PromptQueue.answer",
        "entry = next((e for e in self._pending if e.prompt.key == key), None)",
        "entry = next((e for e in self._pending if e.prompt.key is key), None)",
    ): SAME_OBJECT,
    (
        "app/core/queue.py",
        "PromptQueue.answer",
        'choice=answer.choice if answer.decision == "submit" else None,',
        'choice=answer.choice if answer.decision >= "submit" else None,',
    ): LITERAL_ORDER,
    (
        "app/core/queue.py",
        "PromptQueue.answer",
        'value=answer.value if answer.decision == "submit" else None,',
        'value=answer.value if answer.decision >= "submit" else None,',
    ): LITERAL_ORDER,
    (
        "app/core/queue.py",
        "PromptQueue.cancel",
        "if e.request.client.client_id == client.client_id and e.request.rid == target",
        "if e.request.client.client_id is client.client_id and e.request.rid == target",
    ): SAME_OBJECT,
    (
        "app/core/queue.py",
        "PromptQueue.client_gone",
        "for entry in [e for e in self._pending if e.request.client.client_id == client.client_id]:",
        "for entry in [e for e in self._pending if e.request.client.client_id is client.client_id]:",
    ): SAME_OBJECT,
    (
        "app/core/queue.py",
        "PromptQueue._finish",
        "was_shown = self._pending[0] is entry",
        "was_shown = self._pending[0] == entry",
    ): IDENTITY_EQ,
    (
        "app/core/queue.py",
        "_check_answer",
        'if answer.closed or answer.decision != "submit":',
        'if answer.closed or answer.decision < "submit":',
    ): LITERAL_ORDER,
    (
        "app/core/queue.py",
        "_check_answer",
        'if prompt.kind == "choose" and answer.choice not in [o.id for o in prompt.options]:',
        'if prompt.kind <= "choose" and answer.choice not in [o.id for o in prompt.options]:',
    ): LITERAL_ORDER,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOINHERIT", 0),',
        '* getattr(os, "O_NOINHERIT", 0),',
    ): CLOEXEC_REDUNDANT,
    (
        "host/relay.py",
        "_try_lock",
        "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
        "fcntl.flock(fd, fcntl.LOCK_EX + fcntl.LOCK_NB)",
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "Relay.__init__",
        'if sys.platform != "win32":',
        'if sys.platform > "win32":',
    ): POLL_MADE_LATER,
    (
        "host/relay.py",
        "Relay.__init__",
        "self._polled: tuple[PlatformLink | None, int, int] = (None, 0, 0)",
        "self._polled: tuple[PlatformLink | None, int, int] = (None, 0, -1)",
    ): OVERWRITTEN,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events * ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "main",
        'if sys.platform == "win32":',
        'if sys.platform > "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_CLOEXEC", 0)',
        '+ getattr(os, "O_CLOEXEC", 0)',
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout * 999 if timeout >= 0 else -1):",
    ): SHORTER_WAIT,
    ("host/relay.py", "Relay._liveness", "if now >= probe:", "if now > probe:"): DEADLINE_INSTANT,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events ** ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "_take_stdout",
        'if sys.platform == "win32":',
        'if sys.platform > "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    ("app/core/queue.py", "", "@dataclass(frozen=True)", "@dataclass(frozen=False)"): NOT_FROZEN,
    ("app/core/queue.py", "PromptQueue.confirm", "*,", "/,"): KEYWORD_ONLY,
    (
        "app/core/queue.py",
        "PromptQueue.confirm",
        "timeout: float = 60.0,",
        "timeout: float = 61.0,",
    ): DEFAULT_NEVER_USED,
    (
        "app/core/queue.py",
        "PromptQueue.confirm",
        "timeout: float = 60.0,",
        "timeout: float = 59.0,",
    ): DEFAULT_NEVER_USED,
    (
        "app/core/queue.py",
        "PromptQueue._busy",
        "if len(self._pending) >= self._overall_limit:",
        "if len(self._pending) is self._overall_limit:",
    ): SMALL_INT_IS,
    (
        "app/core/queue.py",
        "PromptQueue._busy",
        "if mine >= self._per_extension_limit:",
        "if mine == self._per_extension_limit:",
    ): COUNT_STOPS_AT_LIMIT,
    (
        "app/core/queue.py",
        "PromptQueue.answer",
        "entry = next((e for e in self._pending if e.prompt.key == key), None)",
        "entry = next((e for e in self._pending if e.prompt.key <= key), None)",
    ): SHOWN_IS_FIRST,
    (
        "app/core/queue.py",
        "PromptQueue._from_memory",
        'decision: Decision = "allow" if stored == "allow" else "deny"',
        'decision: Decision = "allow" if stored <= "allow" else "deny"',
    ): LITERAL_ORDER,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOINHERIT", 0),',
        '<< getattr(os, "O_NOINHERIT", 0),',
    ): NOINHERIT_WINDOWS,
    (
        "host/relay.py",
        "_try_lock",
        'if sys.platform == "win32":',
        'if sys.platform > "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    (
        "host/relay.py",
        "Relay.__init__",
        "self._polled: tuple[PlatformLink | None, int, int] = (None, 0, 0)",
        "self._polled: tuple[PlatformLink | None, int, int] = (None, 0, 1)",
    ): OVERWRITTEN,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= -1 else -1):",
    ): NEGATIVE_TIMEOUT,
    (
        "host/relay.py",
        "Relay._poller",
        "if watched is not link:",
        "if watched != link:",
    ): IDENTITY_EQ,
    ("app/core/queue.py", "", "@dataclass(eq=False)", "@dataclass(eq=True)"): DATACLASS_EQ,
    ("app/core/queue.py", "PromptQueue.__init__", "*,", "/,"): KEYWORD_ONLY,
    ("app/core/queue.py", "PromptQueue._submit", "*,", "/,"): KEYWORD_ONLY,
    (
        "app/core/queue.py",
        "PromptQueue.deny_all_from",
        "shown = next((e for e in self._pending if e.prompt.key == key), None)",
        "shown = next((e for e in self._pending if e.prompt.key is key), None)",
    ): SAME_OBJECT,
    (
        "app/core/queue.py",
        "PromptQueue.deny_all_from",
        "shown = next((e for e in self._pending if e.prompt.key == key), None)",
        "shown = next((e for e in self._pending if e.prompt.key <= key), None)",
    ): SHOWN_IS_FIRST,
    (
        "app/core/queue.py",
        "_check_answer",
        'if prompt.kind == "prompt" and (',
        'if prompt.kind >= "prompt" and (',
    ): LITERAL_ORDER,
    (
        "host/relay.py",
        "Relay.__init__",
        "self._probed_at = 0.0",
        "self._probed_at = -1.0",
    ): OVERWRITTEN,
    (
        "host/relay.py",
        "Relay._pause",
        "browser_ready = bool(waiting.poll(seconds * 1000))",
        "browser_ready = bool(waiting.poll(seconds / 1000))",
    ): BUSIER_START,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        'if sys.platform == "win32":',
        'if sys.platform >= "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events ** ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay",
        'if sys.platform == "win32":',
        'if sys.platform < "win32":',
    ): WINDOWS_METHODS_LEFT_OUT,
    (
        "host/relay.py",
        "Relay._finish",
        "for _fd, events in waiting.poll(left * 1000):",
        "for _fd, events in waiting.poll(left ** 1000):",
    ): BUSIER_END,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOFOLLOW", 0)',
        '^ getattr(os, "O_NOFOLLOW", 0)',
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "Relay._poller",
        "if browser != was_browser:",
        "if browser >= was_browser:",
    ): MASK_ONE_POLL_LATE,
    ("host/relay.py", "_take_stdout", "os.dup2(2, 1)", "os.dup2( 1, 1)"): NOTHING_PRINTS,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_CLOEXEC", 0)',
        '% getattr(os, "O_CLOEXEC", 0)',
    ): CLOEXEC_REDUNDANT,
    (
        "host/relay.py",
        "Relay._poller",
        "if browser != was_browser:",
        "if browser <= was_browser:",
    ): MASK_ONE_POLL_LATE,
    (
        "host/relay.py",
        "Relay._liveness",
        "probe = now + protocol.PROBE_INTERVAL",
        "probe = now - protocol.PROBE_INTERVAL",
    ): EXTRA_LOOP,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events * ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    ("host/relay.py", "_take_stdout", "os.dup2(2, 1)", "os.dup2( 3, 1)"): NOTHING_PRINTS,
    (
        "host/relay.py",
        "_try_lock",
        'if sys.platform == "win32":',
        'if sys.platform >= "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "Relay._pause",
        "browser_ready = bool(waiting.poll(seconds * 1000))",
        "browser_ready = bool(waiting.poll(seconds * 999))",
    ): SHORTER_WAIT,
    (
        "host/relay.py",
        "Relay._liveness",
        "return max(0.0, min(give_up, probe) - now)",
        "return max(0.0, min(give_up, probe) % now)",
    ): MOD_OF_LARGER,
    (
        "host/relay.py",
        "Relay._handle",
        "if len(frame[0]) > protocol.MAX_VALID_REQUEST_BYTES:",
        "if len(frame[ -1]) > protocol.MAX_VALID_REQUEST_BYTES:",
    ): ONE_ELEMENT_LIST,
    (
        "host/relay.py",
        "split_command",
        "return [word[1:-1] if len(word) > 1 and word[0] == word[-1] == '\"' else word for word in lexer]",
        "return [word[1:-1] if len(word) >= 1 and word[0] == word[-1] == '\"' else word for word in lexer]",
    ): LONE_QUOTE,
    (
        "host/relay.py",
        "Relay.__init__",
        'if sys.platform != "win32":',
        'if sys.platform <= "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events + ~select.POLLOUT and link.alive:",
    ): LATER_RECEIVE,
    (
        "host/relay.py",
        "Relay._receive",
        "if kind == protocol.REPLY:",
        "if kind is protocol.REPLY:",
    ): SMALL_INT_KIND,
    (
        "host/relay.py",
        "Relay._finish",
        "for _fd, events in waiting.poll(left * 1000):",
        "for _fd, events in waiting.poll(left % 1000):",
    ): BUSIER_END,
    (
        "host/relay.py",
        "Relay._poller",
        "app = select.POLLIN | (select.POLLOUT if link.unsent else 0)",
        "app = select.POLLIN ^ (select.POLLOUT if link.unsent else 0)",
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "Relay._poller",
        "if app != was_app:",
        "if not app != was_app:",
    ): NO_POLLOUT_WAIT,
    (
        "host/relay.py",
        "Relay._receive",
        "elif kind == protocol.REFUSED:",
        "elif kind is protocol.REFUSED:",
    ): SMALL_INT_KIND,
    (
        "host/relay.py",
        "Relay._finish",
        "self._out.closed = True",
        "self._out.closed = False",
    ): EXITS_NEXT,
    (
        "host/relay.py",
        "Relay.__init__",
        'if sys.platform != "win32":',
        'if sys.platform >= "win32":',
    ): POLL_ON_WINDOWS,
    (
        "host/relay.py",
        "Relay._pause",
        'if sys.platform == "win32":',
        'if sys.platform >= "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "Relay._pause",
        "browser_ready = bool(waiting.poll(seconds * 1000))",
        "browser_ready = bool(waiting.poll(seconds * 1001))",
    ): LONGER_PAUSE,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout * 1000 if timeout > 0 else -1):",
    ): POSITIVE_WAIT,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & select.POLLOUT:",
        "if events | select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events ^ ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay._liveness",
        'self._queue(link, protocol.ALIVE, 0, b"")',
        'self._queue(link, protocol.ALIVE, 1, b"")',
    ): ANY_SEQ,
    (
        "host/relay.py",
        "Relay._ensure_link",
        "if time.monotonic() >= self._connect_deadline(started):",
        "if time.monotonic() > self._connect_deadline(started):",
    ): DEADLINE_INSTANT,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & select.POLLOUT:",
        "if events << select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "",
        "MAX_UNSENT = 8 * 1024 * 1024",
        "MAX_UNSENT = 8 * 1023 * 1024",
    ): HELD_LESS,
    (
        "host/relay.py",
        "",
        "MAX_UNSENT = 8 * 1024 * 1024",
        "MAX_UNSENT = 8 * 1024 * 1025",
    ): HELD_LESS,
    ("host/relay.py", "start_app_and_connect", "| os.O_CREAT", "^ os.O_CREAT"): DISJOINT_BITS,
    (
        "host/relay.py",
        "start_app_and_connect",
        "while (left := deadline() - time.monotonic()) > 0:",
        "while (left := deadline() // time.monotonic()) > 0:",
    ): LAST_PAUSE,
    (
        "host/relay.py",
        "Relay.__init__",
        'if sys.platform != "win32":',
        'if not sys.platform != "win32":',
    ): POLL_ON_WINDOWS,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & select.POLLOUT:",
        "if events << select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._poller",
        "if browser != was_browser:",
        "if browser is was_browser:",
    ): MASK_ONE_POLL_LATE,
    (
        "host/relay.py",
        "Relay",
        'if sys.platform == "win32":',
        'if sys.platform >= "win32":',
    ): PLATFORM_ORDER,
    ("host/relay.py", "Relay._liveness", "return -1.0", "return - 0.0"): UNUSED_AFTER_LOST,
    (
        "host/relay.py",
        "Relay._liveness",
        "probe = now + protocol.PROBE_INTERVAL",
        "probe = now // protocol.PROBE_INTERVAL",
    ): EXTRA_LOOP,
    (
        "host/relay.py",
        "Relay._liveness",
        "return max(0.0, min(give_up, probe) - now)",
        "return max( -1.0, min(give_up, probe) - now)",
    ): ALWAYS_POSITIVE,
    (
        "host/relay.py",
        "Relay._liveness",
        "return max(0.0, min(give_up, probe) - now)",
        "return max( 1.0, min(give_up, probe) - now)",
    ): ALWAYS_POSITIVE,
    (
        "host/relay.py",
        "Relay._receive",
        "elif kind == protocol.REFUSED:",
        "elif kind <= protocol.REFUSED:",
    ): APP_SENDS_NO_HELLO,
    (
        "host/relay.py",
        "Relay._finish",
        "waiting.register(link.fileno(), select.POLLIN | (select.POLLOUT if link.unsent else 0))",
        "waiting.register(link.fileno(), select.POLLIN + (select.POLLOUT if link.unsent else 0))",
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "Relay._finish",
        "for _fd, events in waiting.poll(left * 1000):",
        "for _fd, events in waiting.poll(left // 1000):",
    ): BUSIER_END,
    (
        "host/relay.py",
        "Relay._finish",
        "for _fd, events in waiting.poll(left * 1000):",
        "for _fd, events in waiting.poll(left * 1001):",
    ): END_LONGER,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events | ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "main",
        'if sys.platform == "win32":',
        'if sys.platform >= "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "Relay._poller",
        "if browser != was_browser:",
        "if browser is not was_browser:",
    ): SMALL_INT_MASK,
    (
        "host/relay.py",
        "app_command",
        'if platform == "win32":',
        'if platform >= "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "split_command",
        "return [word[1:-1] if len(word) > 1 and word[0] == word[-1] == '\"' else word for word in lexer]",
        "return [word[1:-1] if len(word) > 1 and word[0] is word[-1] == '\"' else word for word in lexer]",
    ): SMALL_STR_IS,
    (
        "host/relay.py",
        "split_command",
        "return [word[1:-1] if len(word) > 1 and word[0] == word[-1] == '\"' else word for word in lexer]",
        "return [word[1:-1] if len(word) > 1 and word[0] == word[not 1] == '\"' else word for word in lexer]",
    ): QUOTED_WORD,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOINHERIT", 0),',
        '& getattr(os, "O_NOINHERIT", 0),',
    ): CLOEXEC_REDUNDANT,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOINHERIT", 0),',
        '^ getattr(os, "O_NOINHERIT", 0),',
    ): NOINHERIT_WINDOWS,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOINHERIT", 0),',
        '- getattr(os, "O_NOINHERIT", 0),',
    ): NOINHERIT_WINDOWS,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "settled = not link.unsent and self._polled == (link, select.POLLIN, select.POLLIN)",
        "settled = not link.unsent and self._polled is (link, select.POLLIN, select.POLLIN)",
    ): POLLER_EACH_LOOP,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else - 2):",
    ): NEGATIVE_TIMEOUT,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & select.POLLOUT:",
        "if events // select.POLLOUT:",
    ): FLUSH_ON_ERRORS,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events / ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events - ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay._poller",
        "if app != was_app:",
        "if app is was_app:",
    ): MASK_ONE_POLL_LATE,
    (
        "host/relay.py",
        "Relay._poller",
        "if app != was_app:",
        "if app is not was_app:",
    ): SMALL_INT_MASK,
    (
        "host/relay.py",
        "Relay",
        'if sys.platform == "win32":',
        'if sys.platform > "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    (
        "host/relay.py",
        "Relay._liveness",
        "return max(0.0, min(give_up, probe) - now)",
        "return max(0.0, min(give_up, probe) / now)",
    ): EARLY_WAKEUP,
    ("host/relay.py", "Relay._forward", "self._next_seq += 1", "self._next_seq += 2"): SEQ_STEP,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & select.POLLOUT:",
        "if events * select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & select.POLLOUT:",
        "if events ** select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events ^ ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if fd != link.fileno():",
        "if fd is not link.fileno():",
    ): SMALL_INT_FD,
    (
        "host/relay.py",
        "Relay._finish",
        "waiting.register(link.fileno(), select.POLLIN | (select.POLLOUT if link.unsent else 0))",
        "waiting.register(link.fileno(), select.POLLIN | (select.POLLOUT if link.unsent else 1))",
    ): POLLIN_IS_1,
    (
        "host/protocol.py",
        "BrowserFrames.next_frame",
        "if self._filled < len(self._body):",
        "if self._filled != len(self._body):",
    ): BODY_NEVER_OVERFILLED,
    (
        "host/protocol.py",
        "BrowserFrames.next_frame",
        "self._skip = max(0, end - len(buffer))",
        "self._skip = max( -1, end - len(buffer))",
    ): SKIP_FAR,
    (
        "host/protocol.py",
        "BrowserFrames.next_frame",
        "if end > READ_CHUNK:",
        "if end >= READ_CHUNK:",
    ): SAME_BYTES,
    (
        "host/protocol.py",
        "BrowserFrames.next_frame",
        "if end > READ_CHUNK:",
        "if end is not READ_CHUNK:",
    ): SAME_BYTES,
    (
        "host/protocol.py",
        "encode_json",
        'return _ENCODER[0].encode(value).encode("ascii")',
        'return _ENCODER[ -1].encode(value).encode("ascii")',
    ): ONE_ELEMENT_LIST,
    (
        "host/protocol.py",
        "BrowserFrames.__init__",
        "self._filled = 0",
        "self._filled = 1",
    ): OVERWRITTEN,
    (
        "host/protocol.py",
        "BrowserFrames.next_frame",
        "if end > READ_CHUNK:",
        "if end != READ_CHUNK:",
    ): SAME_BYTES,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOFOLLOW", 0)',
        '+ getattr(os, "O_NOFOLLOW", 0)',
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_CLOEXEC", 0)',
        '| getattr(os, "O_CLOEXEC", -1)',
    ): WINDOWS_FLAG_DEFAULT,
    (
        "host/relay.py",
        "Relay.__init__",
        'if sys.platform != "win32":',
        'if sys.platform == "win32":',
    ): POLL_ON_WINDOWS,
    (
        "host/relay.py",
        "Relay.__init__",
        'if sys.platform != "win32":',
        'if sys.platform < "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "Relay.__init__",
        "self._polled: tuple[PlatformLink | None, int, int] = (None, 0, 0)",
        "self._polled: tuple[PlatformLink | None, int, int] = (None, -1, 0)",
    ): OVERWRITTEN,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        'if sys.platform == "win32":',
        'if sys.platform > "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout * 1001 if timeout >= 0 else -1):",
    ): WAIT_LONGER,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 1 else -1):",
    ): WAIT_LONGER,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else ~1):",
    ): NEGATIVE_TIMEOUT,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events // ~select.POLLOUT and link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events % ~select.POLLOUT and link.alive:",
    ): LATER_RECEIVE,
    (
        "host/relay.py",
        "Relay._poller",
        "browser = select.POLLIN if link.unsent < MAX_UNSENT else 0",
        "browser = select.POLLIN if link.unsent <= MAX_UNSENT else 0",
    ): HELD_AT_LIMIT,
    (
        "host/relay.py",
        "Relay._poller",
        "app = select.POLLIN | (select.POLLOUT if link.unsent else 0)",
        "app = select.POLLIN ** (select.POLLOUT if link.unsent else 0)",
    ): NO_POLLOUT_WAIT,
    (
        "host/relay.py",
        "Relay._poller",
        "app = select.POLLIN | (select.POLLOUT if link.unsent else 0)",
        "app = select.POLLIN | (select.POLLOUT if link.unsent else 1)",
    ): POLLIN_IS_1,
    (
        "host/relay.py",
        "Relay._poller",
        "if app != was_app:",
        "if app <= was_app:",
    ): MASK_ONE_POLL_LATE,
    (
        "host/relay.py",
        "Relay",
        'if sys.platform == "win32":',
        'if not sys.platform == "win32":',
    ): WINDOWS_METHODS_LEFT_OUT,
    ("host/relay.py", "Relay._liveness", "return -1.0", "return 1.0"): UNUSED_AFTER_LOST,
    (
        "host/relay.py",
        "Relay._liveness",
        "probe = now + protocol.PROBE_INTERVAL",
        "probe = now / protocol.PROBE_INTERVAL",
    ): EXTRA_LOOP,
    (
        "host/relay.py",
        "Relay._liveness",
        "probe = now + protocol.PROBE_INTERVAL",
        "probe = now % protocol.PROBE_INTERVAL",
    ): EXTRA_LOOP,
    (
        "host/relay.py",
        "Relay._finish",
        'if sys.platform == "win32":',
        'if sys.platform is "win32":',
    ): PLATFORM_IS,
    (
        "host/relay.py",
        "Relay._finish",
        "waiting.register(link.fileno(), select.POLLIN | (select.POLLOUT if link.unsent else 0))",
        "waiting.register(link.fileno(), select.POLLIN ^ (select.POLLOUT if link.unsent else 0))",
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "Relay._finish",
        "for _fd, events in waiting.poll(left * 1000):",
        "for _fd, events in waiting.poll(left / 1000):",
    ): BUSIER_END,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & select.POLLOUT:",
        "if events + select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & select.POLLOUT:",
        "if events | select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & select.POLLOUT:",
        "if events // select.POLLOUT:",
    ): FLUSH_ON_ERRORS,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events + ~select.POLLOUT and link.alive:",
    ): LATER_RECEIVE,
    ("host/relay.py", "_take_stdout", "os.dup2(2, 1)", "os.dup2(2, 2)"): NOTHING_PRINTS,
    (
        "host/relay.py",
        "",
        "MAX_UNSENT = 8 * 1024 * 1024",
        "MAX_UNSENT = 8 * 1025 * 1024",
    ): HELD_LESS,
    (
        "host/relay.py",
        "",
        "MAX_UNSENT = 8 * 1024 * 1024",
        "MAX_UNSENT = 8 * 1024 * 1023",
    ): HELD_LESS,
    ("host/relay.py", "start_app_and_connect", "| os.O_CREAT", "+ os.O_CREAT"): DISJOINT_BITS,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_NOFOLLOW", 0)',
        '| getattr(os, "O_NOFOLLOW", 1)',
    ): WINDOWS_FLAG_DEFAULT,
    (
        "host/relay.py",
        "start_app_and_connect",
        '| getattr(os, "O_CLOEXEC", 0)',
        '^ getattr(os, "O_CLOEXEC", 0)',
    ): DISJOINT_BITS,
    (
        "host/relay.py",
        "Relay.__init__",
        "self._polled: tuple[PlatformLink | None, int, int] = (None, 0, 0)",
        "self._polled: tuple[PlatformLink | None, int, int] = (None, 1, 0)",
    ): OVERWRITTEN,
    (
        "host/relay.py",
        "Relay._pause",
        "browser_ready = bool(waiting.poll(seconds * 1000))",
        "browser_ready = bool(waiting.poll(seconds % 1000))",
    ): BUSIER_START,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout * 1000 if timeout != 0 else -1):",
    ): NEGATIVE_TIMEOUT,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if fd != link.fileno():",
        "if fd < link.fileno():",
    ): BROWSER_FD_LOWER,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & select.POLLOUT:",
        "if events + select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & select.POLLOUT:",
        "if events / select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & select.POLLOUT:",
        "if events ** select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "if events & ~select.POLLOUT and link.alive:",
        "if events & ~select.POLLOUT or link.alive:",
    ): EXTRA_RECEIVE,
    (
        "host/relay.py",
        "Relay",
        'if sys.platform != "win32":',
        'if sys.platform <= "win32":',
    ): PLATFORM_ORDER_WINDOWS,
    (
        "host/relay.py",
        "Relay._poller",
        "if browser != was_browser:",
        "if not browser != was_browser:",
    ): MASK_ONE_POLL_LATE,
    (
        "host/relay.py",
        "Relay",
        'if sys.platform == "win32":',
        'if sys.platform != "win32":',
    ): WINDOWS_METHODS_LEFT_OUT,
    (
        "host/relay.py",
        "Relay._liveness",
        "if now >= give_up:",
        "if now > give_up:",
    ): DEADLINE_INSTANT,
    ("host/relay.py", "Relay._liveness", "return -1.0", "return not 1.0"): UNUSED_AFTER_LOST,
    (
        "host/relay.py",
        "Relay._finish",
        "for _fd, events in waiting.poll(left * 1000):",
        "for _fd, events in waiting.poll(left * 999):",
    ): SHORTER_WAIT,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & select.POLLOUT:",
        "if events / select.POLLOUT:",
    ): EXTRA_FLUSH,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events % ~select.POLLOUT and link.alive:",
    ): LATER_RECEIVE,
    (
        "host/relay.py",
        "Relay._finish",
        "if events & ~select.POLLOUT and link.alive:",
        "if events - ~select.POLLOUT and link.alive:",
    ): LATER_RECEIVE,
    (
        "host/relay.py",
        "_take_stdout",
        'if sys.platform == "win32":',
        'if sys.platform >= "win32":',
    ): PLATFORM_ORDER,
    (
        "host/relay.py",
        "Relay._wait_for_input",
        "for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):",
        "for fd, events in poller.poll(timeout + 1000 if timeout >= 0 else -1):",
    ): EARLY_WAKEUP,
    ("app/core/handlers/basics.py", "StatusSource", "\n@property", ""): PROTOCOL_CLASS,
    (
        "app/core/handlers/prompts.py",
        "validate_choose",
        "raise BadRequest(f\"field '{where}.id' repeats the id {option_id[:100]!r}\")",
        "raise BadRequest(f\"field '{where}.id' repeats the id {option_id[: 101]!r}\")",
    ): ID_AT_MOST_100,
    (
        "host/protocol.py",
        "BrowserFrames.__init__",
        "self._filled = 0",
        "self._filled = -1",
    ): OVERWRITTEN,
    (
        "host/protocol.py",
        "BrowserFrames.next_frame",
        "self._skip = max(0, end - len(buffer))",
        "self._skip = max( 1, end - len(buffer))",
    ): SKIP_FAR,
    (
        "app/core/handlers/secrets.py",
        "SecretHandlers._decided",
        'elif operation == "secret.set":',
        'elif operation >= "secret.set":',
    ): OPERATION_ORDER,
}


EQUIVALENT = frozenset(
    {
        AFTER_APPEND,
        ALWAYS_POSITIVE,
        ANY_SEQ,
        APP_SENDS_NO_HELLO,
        BODY_NEVER_OVERFILLED,
        BROWSER_FD_LOWER,
        COUNT_STOPS_AT_LIMIT,
        DATACLASS_EQ,
        DEADLINE_INSTANT,
        DEFAULT_NEVER_USED,
        DISJOINT_BITS,
        EXITS_NEXT,
        FD0_AT_EXIT,
        IDENTITY_EQ,
        ID_AT_MOST_100,
        KEYWORD_ONLY,
        LAST_RESORT,
        LITERAL_ORDER,
        LONE_QUOTE,
        MOD_OF_LARGER,
        NEGATIVE_TIMEOUT,
        NOTHING_PRINTS,
        NOT_FROZEN,
        ONE_ELEMENT_LIST,
        OPERATION_ORDER,
        OVERWRITTEN,
        PLATFORM_ORDER,
        POLLIN_IS_1,
        POLL_MADE_LATER,
        POSITIVE_WAIT,
        PROTOCOL_CLASS,
        PROTOCOL_PROPERTY,
        QUOTED_WORD,
        SAME_BYTES,
        SAME_OBJECT,
        SEQ_STEP,
        SHOWN_IS_FIRST,
        SINGLETON_IS,
        SKIP_FAR,
        SMALL_INT_FD,
        SMALL_INT_IS,
        SMALL_INT_KIND,
        SMALL_INT_MASK,
        SMALL_STR_IS,
        UNUSED_AFTER_LOST,
        WINDOWS_METHODS_DEFINED,
    }
)
"""The program does the same on every platform the code runs on: no test can kill these."""

HARMLESS = frozenset(
    {
        BUSIER_END,
        BUSIER_START,
        BUSY_UNTIL_MORE,
        CLOEXEC_REDUNDANT,
        EARLY_WAKEUP,
        END_LONGER,
        EXTRA_FLUSH,
        EXTRA_LOOP,
        EXTRA_RECEIVE,
        FLUSH_ON_ERRORS,
        HELD_AT_LIMIT,
        HELD_LESS,
        LAST_PAUSE,
        LATER_RECEIVE,
        LONGER_PAUSE,
        MASK_ONE_POLL_LATE,
        NO_POLLOUT_WAIT,
        POLLER_EACH_LOOP,
        SAME_POLL_LATER,
        SHORTER_WAIT,
        WAIT_LONGER,
    }
)
"""Busier or slower, never a wrong answer, a lost request or a wait without end: a test
could kill these only by timing the host more tightly than any user could notice."""

WINDOWS_ONLY = frozenset(
    {
        NOINHERIT_WINDOWS,
        PLATFORM_IS,
        PLATFORM_ORDER_WINDOWS,
        POLL_ON_WINDOWS,
        WINDOWS_FLAG_DEFAULT,
        WINDOWS_METHODS_LEFT_OUT,
    }
)
"""The same wherever the code has run; the difference needs Windows."""

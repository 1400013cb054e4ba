"""The npm package ``clients/js`` (bridgekeeper-client) and its JSON Schema.

Against the real app (through a real host, paused so that no dialog waits): every example
in the schema is accepted; for every rule of every field the schema states there is a
counter-example, derived from the schema itself, that the app answers ``bad_request``
naming that field, and a value right at each limit is accepted. The node side runs here
too, so that ``./dev test`` covers it: the client's tests under ``node --test``, the
consumer files under ``tsc --strict``, and what ``npm pack`` would publish.
"""

from __future__ import annotations

import copy
import json
import os
import re
import select
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app import __version__
from host import protocol
from tests.support.harness import Home, HostProcess, app_command, read_frame, start_app, temp_home
from tests.support.needs import require

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "clients" / "js"
SCHEMA: dict[str, Any] = json.loads((PACKAGE / "bridgekeeper.schema.json").read_text("utf-8"))
DEFS: dict[str, Any] = SCHEMA["$defs"]
NODE = shutil.which("node")
NPM = shutil.which("npm")

needs_node = pytest.mark.skipif(
    NODE is None or NPM is None,
    reason="node and npm are not installed (./dev test installs Debian's nodejs and npm as root)",
)

# -- the schema's rules, and a counter-example for each ------------------------------------

ANNOTATIONS = {"description", "examples", "default", "title", "$comment"}
FIELD_RULES = {
    "type",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "enum",
}
OBJECT_RULES = {"required", "additionalProperties"}
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}
# A value of another JSON type than the field allows: the first that fits none of them.
WRONG_TYPES: list[Any] = [5, "five", True, [], {}, None]
# Strings to break a pattern with (within the field's length limits): the first that fails.
# (Schema patterns keep to what ECMA-262, the schema's dialect, and Python's re share.)
PATTERN_BREAKERS = ["example.org", "a b", " ", "-"]

Path_ = tuple[str | int, ...]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref`` merged in (its own keywords win)."""
    if "$ref" not in schema:
        return schema
    target = DEFS[schema["$ref"].removeprefix("#/$defs/")]
    own = {key: value for key, value in schema.items() if key != "$ref"}
    return {**resolve(target), **own}


def is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, JSON_TYPES[name])


def field_name(path: Path_) -> str:
    """A path as the app names it: ``options[0].id``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def get(message: Any, path: Path_) -> Any:
    for part in path:
        message = message[part]
    return message


def with_value(message: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(message)
    get(changed, path[:-1])[path[-1]] = value
    return changed


def without(message: dict[str, Any], path: Path_) -> dict[str, Any]:
    changed = copy.deepcopy(message)
    del get(changed, path[:-1])[path[-1]]
    return changed


def sized(base: Any, length: int) -> str:
    """A string of exactly ``length`` characters, from the example's own value if any (so
    it keeps its form: a URL stays a URL)."""
    start = base if isinstance(base, str) else ""
    return (start + "a" * length)[:length] if length >= len(start) else start[:length]


@dataclass(frozen=True)
class Case:
    """One request the app must answer: a counter-example (``bad_request`` naming
    ``field``) or a value at a limit (accepted)."""

    definition: str
    rule: str
    field: str
    message: Any

    @property
    def id(self) -> str:
        return f"{self.definition}.{self.field or '(request)'}-{self.rule}"


# Values at a limit that need another field to agree (a prompt's default is at most its
# max_length; a choice's default is one of its options' ids): set on the request alongside.
LIMIT_CONTEXT: dict[tuple[str, str], dict[str, Any]] = {
    ("PromptRequest", "default"): {"max_length": 4096},
    ("PromptRequest", "max_length"): {"default": "A"},
    ("ChooseRequest", "options[0].id"): {"default": "home"},
}


def cases(
    definition: str, schema: dict[str, Any], base: dict[str, Any], path: Path_ = ()
) -> Iterator[tuple[Case, Case | None]]:
    """Each rule of ``schema`` at ``path`` in ``base`` (a valid request): its
    counter-example, and where the rule is a limit, a value right at it."""
    schema = resolve(schema)
    here = field_name(path)
    value = get(base, path)
    # A request's `type` is the discriminator: Request's own rules cover it.
    discriminator = "type" if not path and definition != "Request" else None
    for keyword, rule in schema.items():
        if keyword in ANNOTATIONS:
            continue
        if keyword == "properties":
            for name, sub in rule.items():
                if name == discriminator:
                    continue
                assert name in value, f"{definition}: its fullest example lacks {here}.{name}"
                yield from cases(definition, sub, base, (*path, name))
        elif keyword == "items":
            yield from cases(definition, rule, base, (*path, 0))
        elif keyword == "allOf" and definition == "Request":
            continue  # its branches are the *Request definitions, walked on their own
        elif keyword == "type" and not path:
            continue  # "a request is an object": Request's, not a field's
        elif keyword == "required":
            for name in rule:
                if name == discriminator:
                    continue
                # The app names a missing field; inside an option, the option.
                missing = field_name((*path, name)) if not path else here
                rule_name = "required" if not path else f"required-{name}"
                yield Case(definition, rule_name, missing, without(base, (*path, name))), None
        elif keyword == "additionalProperties":
            assert rule is False, f"{definition} {here}: additionalProperties must be false"
            unknown = field_name((*path, "unknown_field")) if not path else here
            yield (
                Case(definition, keyword, unknown, with_value(base, (*path, "unknown_field"), 1)),
                None,
            )
        elif keyword in FIELD_RULES:
            yield from field_cases(definition, keyword, schema, base, path)
        else:
            raise AssertionError(
                f"{definition} {here}: no counter-example is made for the keyword {keyword!r};"
                " teach tests/test_client_package.py its rule"
            )


def field_cases(
    definition: str,
    keyword: str,
    schema: dict[str, Any],
    base: dict[str, Any],
    path: Path_,
) -> Iterator[tuple[Case, Case | None]]:
    rule = schema[keyword]
    here = field_name(path)
    value = get(base, path)
    context = LIMIT_CONTEXT.get((definition, here), {})

    def case(bad: Any) -> Case:
        return Case(definition, keyword, here, with_value(base, path, bad))

    def limit(good: Any) -> Case:
        return Case(definition, keyword, here, {**with_value(base, path, good), **context})

    if keyword == "type":
        allowed = rule if isinstance(rule, list) else [rule]
        wrong = next(v for v in WRONG_TYPES if not any(is_type(v, t) for t in allowed))
        yield case(wrong), None
    elif keyword == "minLength":
        yield case(sized(value, rule - 1)), limit(sized(value, rule))
    elif keyword == "maxLength":
        yield case(sized(value, rule + 1)), limit(sized(value, rule))
    elif keyword == "pattern":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 10**9)
        breaker = next(
            s for s in PATTERN_BREAKERS if low <= len(s) <= high and not re.search(rule, s)
        )
        yield case(breaker), None
    elif keyword == "minimum":
        yield case(rule - 1), limit(rule)
    elif keyword == "maximum":
        yield case(rule + 1), limit(rule)
    elif keyword in ("minItems", "maxItems"):
        count = rule - 1 if keyword == "minItems" else rule + 1
        yield case(items(value, count)), limit(items(value, rule))
    elif keyword == "enum":
        yield case(f"not-{rule[0]}"), None


def items(example: list[Any], count: int) -> list[Any]:
    """``count`` items made from the example's (string fields made unique)."""
    made = copy.deepcopy(example[:count])
    for index in range(len(made), count):
        item = copy.deepcopy(example[0])
        made.append({k: f"{v}-{index}" if isinstance(v, str) else v for k, v in item.items()})
    return made


def request_definitions() -> list[str]:
    return [name for name in DEFS if name.endswith("Request")]


def all_cases() -> tuple[list[Case], list[Case]]:
    refused: list[Case] = []
    at_limit: list[Case] = []
    for name in request_definitions():
        # Each counter-example changes one field of the fullest example, which must show
        # every field (so that the rules of each are reached).
        examples = [{"type": "ping"}] if name == "Request" else DEFS[name]["examples"]
        base = max(examples, key=len)
        for bad, good in cases(name, DEFS[name], base):
            refused.append(bad)
            if good is not None:
                at_limit.append(good)
    return refused, at_limit


COUNTER_EXAMPLES, AT_LIMITS = all_cases()
EXAMPLES = [
    (name, index, example)
    for name in request_definitions()
    for index, example in enumerate(DEFS[name].get("examples", []))
]

# Rules that span two fields, which JSON Schema cannot say: the schema's descriptions name
# them, the app enforces them.
CHOOSE = DEFS["ChooseRequest"]["examples"][0]
CROSS_FIELD = [
    pytest.param({**CHOOSE, "default": "nowhere"}, "default", id="choose-default-not-an-option"),
    pytest.param(
        {**CHOOSE, "options": [CHOOSE["options"][0], CHOOSE["options"][0]]},
        "options[1].id",
        id="choose-option-ids-repeat",
    ),
    pytest.param(
        {"type": "prompt", "title": "Name", "max_length": 3, "default": "four"},
        "default",
        id="prompt-default-over-max_length",
    ),
]


def names_field(message: str, field: str) -> bool:
    """Whether an error message names ``field`` (as a whole name, not inside another)."""
    return re.search(rf"(?<![\w.\[]){re.escape(field)}(?![\w\[])", message) is not None


# -- the real app, paused, and one host between it and the tests ---------------------------


@dataclass
class Port:
    """A host started as a browser starts it for ``connectNative``."""

    host: HostProcess

    def ask(self, message: Any, timeout: float = 15.0) -> Any:
        self.host.send(message)
        ready, _, _ = select.select([self.host.stdout], [], [], timeout)
        assert ready, f"no reply within {timeout} s to {json.dumps(message)[:300]}"
        return read_frame(self.host.stdout)


@pytest.fixture(scope="module")
def paused_app() -> Iterator[tuple[Home, Port]]:
    require("app_transport")
    with temp_home() as home:
        app = start_app(home)
        host: HostProcess | None = None
        try:
            # Paused: every valid prompt and secret request is answered at once ("paused"),
            # so an accepted request costs no dialog and no wait.
            done = subprocess.run(
                [*app_command(), "pause"],
                env=home.env(),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            host = HostProcess(home)
            port = Port(host)
            assert port.ask({"type": "status"})["result"]["paused"] is True
            yield home, port
        finally:
            if host is not None:
                host.kill()
            app.stop()


@pytest.mark.parametrize(
    ("name", "index", "example"),
    EXAMPLES,
    ids=[f"{name}-{index}" for name, index, _ in EXAMPLES],
)
def test_schema_example_is_accepted_by_the_app(
    paused_app: tuple[Home, Port], name: str, index: int, example: dict[str, Any]
) -> None:
    reply = paused_app[1].ask(example)
    assert reply["ok"] is True, reply
    assert reply["id"] == example.get("id")


@pytest.mark.parametrize("case", COUNTER_EXAMPLES, ids=[case.id for case in COUNTER_EXAMPLES])
def test_schema_rule_counter_example_is_bad_request_naming_the_field(
    paused_app: tuple[Home, Port], case: Case
) -> None:
    reply = paused_app[1].ask(case.message)
    assert reply["ok"] is False, f"accepted: {json.dumps(case.message)[:300]}"
    assert reply["error"]["code"] == protocol.BAD_REQUEST
    assert names_field(reply["error"]["message"], case.field), reply["error"]["message"]


@pytest.mark.parametrize("case", AT_LIMITS, ids=[case.id for case in AT_LIMITS])
def test_schema_limit_itself_is_accepted_by_the_app(
    paused_app: tuple[Home, Port], case: Case
) -> None:
    reply = paused_app[1].ask(case.message)
    assert reply["ok"] is True, reply


@pytest.mark.parametrize(("message", "field"), CROSS_FIELD)
def test_cross_field_rule_is_bad_request_naming_the_field(
    paused_app: tuple[Home, Port], message: dict[str, Any], field: str
) -> None:
    reply = paused_app[1].ask(message)
    assert reply["error"]["code"] == protocol.BAD_REQUEST
    assert names_field(reply["error"]["message"], field), reply["error"]["message"]


def test_cases_cover_every_request_type_and_nested_field() -> None:
    types = {
        DEFS[name]["properties"]["type"]["const"]
        for name in request_definitions()
        if name != "Request"
    }
    assert types == set(DEFS["Request"]["properties"]["type"]["enum"])
    covered = {case.definition for case in COUNTER_EXAMPLES}
    assert covered == set(request_definitions())
    rules = {(case.definition, case.field, case.rule) for case in COUNTER_EXAMPLES}
    assert ("ConfirmRequest", "title", "maxLength") in rules
    assert ("ChooseRequest", "options[0].label", "pattern") in rules
    assert ("Request", "type", "enum") in rules
    assert len(rules) == len(COUNTER_EXAMPLES)


def test_schema_error_codes_are_the_contracts() -> None:
    assert set(DEFS["ErrorCode"]["enum"]) == set(protocol.ERROR_CODES)


def test_schema_id_limit_is_the_hosts() -> None:
    assert DEFS["RequestId"]["maxLength"] == protocol.MAX_ID_LENGTH


# -- the schema itself (Ajv, under node) ----------------------------------------------------


def schema_verdicts(checks: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Ajv's verdict on each (definition, instance): ``{"valid", "errors"}``."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, "test/validate.js"],
        cwd=PACKAGE,
        input=json.dumps([{"def": d, "instance": i} for d, i in checks]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    verdicts: list[dict[str, Any]] = json.loads(done.stdout)
    return verdicts


@needs_node
def test_counter_examples_break_the_schema_and_limits_keep_it(require_node_modules: None) -> None:
    refused = schema_verdicts([(case.definition, case.message) for case in COUNTER_EXAMPLES])
    accepted = schema_verdicts([(case.definition, case.message) for case in AT_LIMITS])
    for case, verdict in zip(COUNTER_EXAMPLES, refused, strict=True):
        assert not verdict["valid"], f"{case.id}: the schema accepts it"
    for case, verdict in zip(AT_LIMITS, accepted, strict=True):
        assert verdict["valid"], f"{case.id}: {verdict['errors']}"


@needs_node
def test_app_replies_match_the_reply_schemas(
    paused_app: tuple[Home, Port], require_node_modules: None
) -> None:
    port = paused_app[1]
    checks: list[tuple[str, Any]] = []
    for name, _, example in EXAMPLES:
        reply = port.ask(example)
        checks.append((name.removesuffix("Request") + "Reply", reply))
        checks.append(("Reply", reply))
    checks.append(("ErrorReply", port.ask({"type": "confirm", "id": "no-title"})))
    checks.append(("Reply", port.ask("ping")))
    for (definition, reply), verdict in zip(checks, schema_verdicts(checks), strict=True):
        assert verdict["valid"], f"{definition} {reply}: {verdict['errors']}"


# -- the node side: client tests, types, what npm would publish ----------------------------


@pytest.fixture
def require_node_modules() -> None:
    """``./dev test`` installs the dev dependencies (npm ci); without them, say how."""
    for needed in ("typescript", "ajv"):
        if not (PACKAGE / "node_modules" / needed).is_dir():
            pytest.fail(f"{PACKAGE}/node_modules/{needed} is missing: run `./dev test` (npm ci)")


def run_node(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, *args], cwd=PACKAGE, capture_output=True, text=True, timeout=timeout, check=False
    )


def tsc(config: str) -> subprocess.CompletedProcess[str]:
    return run_node("node_modules/typescript/bin/tsc", "-p", f"test/types/{config}")


@needs_node
def test_client_and_schema_pass_node_test_runner(require_node_modules: None) -> None:
    done = run_node("--test", "test/client.test.js", "test/schema.test.js")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"^# fail 0$", done.stdout, re.MULTILINE), done.stdout[-2000:]


@needs_node
def test_consumer_file_type_checks_under_strict(require_node_modules: None) -> None:
    done = tsc("tsconfig.json")
    assert done.returncode == 0, done.stdout + done.stderr


@needs_node
def test_consumer_mistakes_are_type_errors_on_their_lines(require_node_modules: None) -> None:
    source = (PACKAGE / "test" / "types" / "bad.ts").read_text("utf-8").splitlines()
    marked = {number for number, line in enumerate(source, 1) if line.endswith("// error")}
    done = tsc("tsconfig.bad.json")
    reported = {int(n) for n in re.findall(r"^test/types/bad\.ts\((\d+),", done.stdout, re.M)}
    assert done.returncode != 0
    assert len(marked) >= 20
    assert reported == marked, done.stdout


def test_package_is_versioned_with_the_app() -> None:
    package = json.loads((PACKAGE / "package.json").read_text("utf-8"))
    lock = json.loads((PACKAGE / "package-lock.json").read_text("utf-8"))
    assert package["name"] == lock["name"] == "bridgekeeper-client"
    assert package["version"] == lock["version"] == __version__
    assert package["type"] == "module"
    assert "dependencies" not in package


@needs_node
def test_npm_pack_ships_exactly_the_package_files(tmp_path: Path) -> None:
    assert NPM is not None
    done = subprocess.run(
        [NPM, "pack", "--dry-run", "--json", "--ignore-scripts"],
        cwd=PACKAGE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # Its cache and logs go to a temporary folder, not the user's.
        env={**os.environ, "npm_config_cache": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    (packed,) = json.loads(done.stdout)
    assert packed["name"] == "bridgekeeper-client"
    assert packed["version"] == __version__
    assert sorted(entry["path"] for entry in packed["files"]) == [
        "README.md",
        "bridgekeeper.d.ts",
        "bridgekeeper.js",
        "bridgekeeper.schema.json",
        "package.json",
        "protocol.d.ts",
    ]
    exports = json.loads((PACKAGE / "package.json").read_text("utf-8"))["exports"]
    for target in [exports["."]["types"], exports["."]["default"], exports["./schema.json"]]:
        assert target.removeprefix("./") in {entry["path"] for entry in packed["files"]}


CLIENT_CODES = {"timeout", "disconnected", "native_messaging"}


@pytest.mark.parametrize("readme", ["README.md", "clients/js/README.md"])
def test_readme_says_what_to_do_about_every_error_code(readme: str) -> None:
    text = (ROOT / readme).read_text("utf-8")
    rows = set(re.findall(r"^\| `([a-z_]+)`(?: \(client\))? \|", text, re.MULTILINE))
    assert rows == set(DEFS["ErrorCode"]["enum"]) | CLIENT_CODES


def test_client_error_codes_are_declared() -> None:
    declarations = (PACKAGE / "bridgekeeper.d.ts").read_text("utf-8")
    declared = re.search(r"type ClientErrorCode = ErrorCode((?: \| \"\w+\")+);", declarations)
    assert declared is not None
    assert set(re.findall(r'"(\w+)"', declared.group(1))) == CLIENT_CODES
    client = (PACKAGE / "bridgekeeper.js").read_text("utf-8")
    for code in CLIENT_CODES:
        assert f'BridgekeeperError("{code}"' in client

// The JSON Schema (bridgekeeper.schema.json): well formed under draft 2020-12, its examples
// valid, and protocol.d.ts exactly what scripts/generate-types.js makes of it. (That the
// real app accepts every example and refuses every rule's counter-example is
// tests/test_client_package.py's part.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { generate, TYPES_PATH } from "../scripts/generate-types.js";
import { compile, schema, validator } from "./schema-validator.js";

const ajv = compile();
const defs = Object.entries(schema.$defs);
const named = (suffix) => defs.filter(([name]) => name.endsWith(suffix) && name !== suffix);

test("the schema is draft 2020-12 and compiles in strict mode", () => {
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  for (const [name] of defs) {
    validator(ajv, name);
  }
});

test("every request and every result has examples, each valid", () => {
  for (const [name, def] of [...named("Request"), ...named("Result"), ["ErrorReply", schema.$defs.ErrorReply]]) {
    assert.ok(def.examples?.length > 0, `${name} has no examples`);
  }
  for (const [name, def] of defs) {
    const validate = validator(ajv, name);
    for (const example of def.examples ?? []) {
      assert.ok(validate(example), `${name} example ${JSON.stringify(example)}: ${ajv.errorsText(validate.errors)}`);
    }
  }
});

test("every request example is a valid message, and every result makes a valid reply", () => {
  const message = validator(ajv, "");
  const reply = validator(ajv, "Reply");
  for (const [name, def] of named("Request")) {
    for (const example of def.examples) {
      assert.ok(message(example), `${name}: ${ajv.errorsText(message.errors)}`);
    }
    const stem = name.replace(/Request$/, "");
    const typed = validator(ajv, `${stem}Reply`);
    for (const result of schema.$defs[`${stem}Result`].examples) {
      for (const id of ["r1", 7, null]) {
        const success = { id, ok: true, result };
        assert.ok(typed(success), `${stem}Reply: ${ajv.errorsText(typed.errors)}`);
        assert.ok(reply(success), `Reply: ${ajv.errorsText(reply.errors)}`);
      }
    }
    assert.ok(typed(schema.$defs.ErrorReply.examples[0]));
  }
  assert.ok(message("ping"));
  assert.ok(reply("pong"));
});

test("a request is discriminated by its type: every request type, and nothing else", () => {
  const request = schema.$defs.Request;
  const branches = request.allOf.map((branch) => [branch.if.properties.type.const, branch.then.$ref]);
  const declared = named("Request").map(([name, def]) => [def.properties.type.const, `#/$defs/${name}`]);
  assert.deepEqual(branches, declared);
  assert.deepEqual(request.properties.type.enum, declared.map(([type]) => type));
  const message = validator(ajv, "");
  assert.equal(message({ type: "confirmx", title: "t" }), false);
  assert.equal(message({ title: "t" }), false);
  assert.equal(message("pong"), false);
});

test("a request of one type is refused with another type's fields", () => {
  const message = validator(ajv, "");
  assert.equal(message({ type: "notify", title: "t", options: [] }), false);
  assert.equal(message({ type: "ping", title: "t" }), false);
});

test("protocol.d.ts is generated from the schema (run `npm run types` after editing it)", () => {
  assert.equal(readFileSync(TYPES_PATH, "utf8"), generate(schema));
});

// For tests/test_client_package.py: validates instances against definitions of the schema.
// stdin: [{"def": "ConfirmRequest", "instance": ...}, ...] ("def": "" is the whole schema);
// stdout: [{"valid": bool, "errors": [{"instancePath", "keyword", "message"}]}, ...].
import { readFileSync } from "node:fs";

import { compile, validator } from "./schema-validator.js";

const ajv = compile();
const checks = JSON.parse(readFileSync(0, "utf8"));
const verdicts = checks.map(({ def, instance }) => {
  const validate = validator(ajv, def);
  const valid = validate(instance);
  const errors = (validate.errors ?? []).map(({ instancePath, keyword, message }) => ({
    instancePath,
    keyword,
    message,
  }));
  return { valid, errors };
});
process.stdout.write(JSON.stringify(verdicts));

// The JSON Schema, compiled by Ajv (draft 2020-12, strict: an unknown keyword or a typo in
// the schema is an error, not a rule silently ignored). Test use only: ajv is a
// devDependency.
import { readFileSync } from "node:fs";

import Ajv2020 from "ajv/dist/2020.js";

export const schema = JSON.parse(
  readFileSync(new URL("../bridgekeeper.schema.json", import.meta.url), "utf8"),
);

export function compile() {
  const fail = (message) => {
    throw new Error(`ajv: ${message}`);
  };
  const ajv = new Ajv2020({
    strict: true,
    allowUnionTypes: true, // RequestId is ["string", "integer"]
    allErrors: true,
    logger: { log: () => {}, warn: fail, error: fail },
  });
  ajv.addSchema(schema);
  return ajv;
}

/** The validator of `$defs/<name>` (or of the whole schema when name is empty). */
export function validator(ajv, name) {
  const found = ajv.getSchema(name ? `${schema.$id}#/$defs/${name}` : schema.$id);
  if (!found) {
    throw new Error(`no definition ${name}`);
  }
  return found;
}

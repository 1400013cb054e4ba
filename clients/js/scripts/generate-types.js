// Writes protocol.d.ts, the TypeScript types of every request and reply, from the JSON
// Schema beside it (bridgekeeper.schema.json), so the two cannot drift:
// test/schema.test.js fails when the checked-in file differs from a fresh generation.
//
//   node scripts/generate-types.js          (npm run types) rewrite protocol.d.ts
//
// It understands the part of JSON Schema the contract uses (type, const, enum, anyOf,
// properties, required, items, $ref, and the allOf/if/then that discriminates Request)
// and fails on anything else, rather than emit a type looser than the schema.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(dirname(fileURLToPath(import.meta.url)));
export const SCHEMA_PATH = join(HERE, "bridgekeeper.schema.json");
export const TYPES_PATH = join(HERE, "protocol.d.ts");

const ANNOTATIONS = new Set(["description", "examples", "default", "title", "$comment"]);
const LIMITS = new Set(["minLength", "maxLength", "pattern", "minimum", "maximum", "minItems", "maxItems"]);
const PRIMITIVES = { string: "string", number: "number", integer: "number", boolean: "boolean", null: "null" };

const number = (n) => n.toLocaleString("en-US");

function wrap(line, width) {
  const lines = [];
  let current = "";
  for (const word of line.split(" ")) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  return [...lines, current];
}

function refName(ref) {
  const match = /^#\/\$defs\/([A-Za-z]+)$/.exec(ref);
  if (!match) {
    throw new Error(`unsupported $ref ${ref}`);
  }
  return match[1];
}

class Generator {
  constructor(schema) {
    this.defs = schema.$defs;
  }

  def(name) {
    const found = this.defs[name];
    if (!found) {
      throw new Error(`$ref to a missing definition ${name}`);
    }
    return found;
  }

  // A definition that is only a primitive with limits (Title, Timeout...) is written out
  // where it is used, so an editor shows `title: string` with its limits, not `Title`.
  inlined(name) {
    const def = this.def(name);
    const types = [def.type ?? []].flat();
    return types.length > 0 && types.every((t) => t in PRIMITIVES) && !def.enum && !("const" in def);
  }

  // The schema a property means, with an inlined $ref merged in (the property's own
  // keywords win).
  resolve(schema) {
    if (schema.$ref && this.inlined(refName(schema.$ref))) {
      const { $ref, ...own } = schema;
      return { ...this.resolve(this.def(refName($ref))), ...own };
    }
    return schema;
  }

  type(schema) {
    schema = this.resolve(schema);
    const known = new Set([...ANNOTATIONS, ...LIMITS, "$ref", "type", "const", "enum", "anyOf",
      "properties", "required", "additionalProperties", "items", "allOf"]);
    for (const key of Object.keys(schema)) {
      if (!known.has(key)) {
        throw new Error(`unsupported keyword ${key}`);
      }
    }
    if (schema.$ref) {
      return refName(schema.$ref);
    }
    if ("const" in schema) {
      return JSON.stringify(schema.const);
    }
    if (schema.enum) {
      return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
    }
    if (schema.anyOf) {
      return schema.anyOf.map((s) => this.type(s)).join(" | ");
    }
    if (schema.allOf) {
      // The discriminated union: each branch is `if type is X then XRequest`.
      return schema.allOf
        .map((branch) => {
          if (!branch.if || !branch.then?.$ref || Object.keys(branch).length !== 2) {
            throw new Error("allOf is supported only as a list of if/then $ref branches");
          }
          return refName(branch.then.$ref);
        })
        .join(" | ");
    }
    const types = [schema.type].flat();
    if (types.length > 1) {
      return types.map((t) => this.type({ ...schema, type: t })).join(" | ");
    }
    const [type] = types;
    if (type in PRIMITIVES) {
      return PRIMITIVES[type];
    }
    if (type === "array") {
      const item = this.type(schema.items);
      return item.includes(" ") ? `(${item})[]` : `${item}[]`;
    }
    if (type === "object") {
      if (!schema.properties) {
        return "{ [key: string]: unknown }";
      }
      if (schema.additionalProperties !== false) {
        throw new Error("an object with properties must set additionalProperties: false");
      }
      const required = new Set(schema.required ?? []);
      const members = Object.entries(schema.properties).map(
        ([key, value]) => `${key}${required.has(key) ? "" : "?"}: ${this.type(value)}`,
      );
      return `{ ${members.join("; ")} }`;
    }
    throw new Error(`unsupported schema ${JSON.stringify(schema)}`);
  }

  // The members of a union at its top level (one member for anything else).
  members(schema) {
    if (schema.enum) {
      return schema.enum.map((v) => JSON.stringify(v));
    }
    if (schema.anyOf) {
      return schema.anyOf.map((s) => this.type(s));
    }
    if (schema.allOf) {
      return this.type(schema).split(" | ");
    }
    return [this.type(schema)];
  }

  // The doc comment: the description, then the limits and the default, from the schema.
  doc(schema, indent) {
    schema = this.resolve(schema);
    const lines = [];
    if (schema.description) {
      lines.push(schema.description);
    }
    const limits = [];
    const { minLength, maxLength, minimum, maximum, minItems, maxItems } = schema;
    const types = [schema.type ?? []].flat();
    // RequestId: the length limits are for its string form.
    const chars = types.length > 1 ? "characters as a string" : "characters";
    if (minLength !== undefined && maxLength !== undefined) {
      limits.push(`${number(minLength)}–${number(maxLength)} ${chars}`);
    } else if (maxLength !== undefined) {
      limits.push(`at most ${number(maxLength)} ${chars}`);
    } else if (minLength !== undefined) {
      limits.push(`at least ${number(minLength)} ${chars}`);
    }
    if (schema.pattern) {
      limits.push(`matching /${schema.pattern}/`);
    }
    if (minimum !== undefined && maximum !== undefined) {
      limits.push(`from ${number(minimum)} to ${number(maximum)}`);
    } else if (minimum !== undefined) {
      limits.push(`at least ${number(minimum)}`);
    }
    if (types.length === 1 && types[0] === "integer") {
      limits.push("an integer");
    }
    if (minItems !== undefined && maxItems !== undefined) {
      limits.push(`${minItems}–${maxItems} items`);
    }
    if ("default" in schema) {
      const value = schema.default;
      limits.push(`default ${typeof value === "number" ? number(value) : JSON.stringify(value)}`);
    }
    if (limits.length > 0) {
      lines.push(`${limits.join("; ")}.`.replace(/^./, (c) => c.toUpperCase()));
    }
    if (lines.length === 0) {
      return "";
    }
    const text = lines.join("\n\n").replaceAll("*/", "*\\/");
    const body = text.split("\n").flatMap((line) => wrap(line, 88 - indent.length))
      .map((line) => `${indent} *${line ? ` ${line}` : ""}`);
    return `${indent}/**\n${body.join("\n")}\n${indent} */\n`;
  }

  declaration(name) {
    const def = this.def(name);
    const doc = this.doc({ ...def, examples: undefined }, "");
    if (def.type === "object" && def.properties && !def.allOf) {
      const required = new Set(def.required ?? []);
      if (def.additionalProperties !== false) {
        throw new Error(`${name}: an object with properties must set additionalProperties: false`);
      }
      const members = Object.entries(def.properties).map(
        ([key, value]) =>
          `${this.doc(value, "  ")}  ${key}${required.has(key) ? "" : "?"}: ${this.type(value)};`,
      );
      return `${doc}export interface ${name} {\n${members.join("\n")}\n}\n`;
    }
    const line = `export type ${name} = ${this.type(def)};`;
    if (line.length <= 92) {
      return `${doc}${line}\n`;
    }
    // A long union: one member a line. Members are split only at the top level.
    const members = this.members(def);
    return `${doc}export type ${name} =\n${members.map((m) => `  | ${m}`).join("\n")};\n`;
  }

  // request type -> [XRequest, XResult, XReply], from the branches of Request.
  requestTypes() {
    return this.def("Request").allOf.map(({ then }) => {
      const request = refName(then.$ref);
      const wire = this.def(request).properties.type.const;
      const stem = request.replace(/Request$/, "");
      for (const name of [`${stem}Result`, `${stem}Reply`]) {
        this.def(name);
      }
      return [wire, request, `${stem}Result`, `${stem}Reply`];
    });
  }
}

export function generate(schema) {
  const generator = new Generator(schema);
  const types = generator.requestTypes();
  const declarations = Object.keys(schema.$defs).map((name) => generator.declaration(name));
  const map = (pick) => types.map((entry) => `  ${JSON.stringify(entry[0])}: ${pick(entry)};`).join("\n");
  return [
    "// Generated from bridgekeeper.schema.json by scripts/generate-types.js: do not edit.",
    "// The types of every request and reply of Bridgekeeper's contract (SPEC 1.1, protocol 1).",
    "",
    declarations.join("\n"),
    "/** Every request's `type`. */",
    'export type RequestType = Request["type"];',
    "",
    "/** The request of a given `type`. */",
    "export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;",
    "",
    "/** The `result` of a successful reply, by request type. */",
    `export interface Results {\n${map((entry) => entry[2])}\n}\n`,
    "/** The result of a request of type `T`. */",
    "export type ResultOf<T extends RequestType> = Results[T];",
    "",
    "/** The whole reply (success or error), by request type. */",
    `export interface Replies {\n${map((entry) => entry[3])}\n}\n`,
    "/** The reply to a request of type `T`. */",
    "export type ReplyOf<T extends RequestType> = Replies[T];",
    "",
  ].join("\n");
}

export function readSchema() {
  return JSON.parse(readFileSync(SCHEMA_PATH, "utf8"));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(TYPES_PATH, generate(readSchema()));
  console.log(`wrote ${TYPES_PATH}`);
}

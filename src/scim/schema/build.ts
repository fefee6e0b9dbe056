import type { AttributeDefinition } from "./types.js";

type AttributeOptions = Partial<Omit<AttributeDefinition, "name">>;

/**
 * An attribute with RFC 7643 §2.2 defaults: string, single-valued, optional,
 * caseExact false, readWrite, returned by default, no uniqueness.
 */
export function attribute(name: string, options: AttributeOptions = {}): AttributeDefinition {
  const def: AttributeDefinition = {
    name,
    type: options.type ?? "string",
    multiValued: options.multiValued ?? false,
    description: options.description ?? "",
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    mutability: options.mutability ?? "readWrite",
    returned: options.returned ?? "default",
    uniqueness: options.uniqueness ?? "none",
  };
  if (options.canonicalValues) def.canonicalValues = options.canonicalValues;
  if (options.referenceTypes) def.referenceTypes = options.referenceTypes;
  if (options.subAttributes) def.subAttributes = options.subAttributes;
  return def;
}

export function complex(name: string, subAttributes: AttributeDefinition[], options: AttributeOptions = {}): AttributeDefinition {
  return attribute(name, { ...options, type: "complex", subAttributes });
}

/**
 * The usual multi-valued complex attribute of RFC 7643 §2.4: value, display,
 * type (with canonical values) and primary.
 */
export function multiValued(
  name: string,
  description: string,
  types: string[],
  options: { valueType?: AttributeDefinition["type"]; referenceTypes?: string[]; extra?: AttributeDefinition[] } = {},
): AttributeDefinition {
  const value = attribute("value", {
    type: options.valueType ?? "string",
    description: `The value of the ${name} entry.`,
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
  });
  return complex(
    name,
    [
      value,
      attribute("display", { description: "A human-readable name, primarily used for display purposes." }),
      attribute("type", { description: "A label indicating the attribute's function.", canonicalValues: types }),
      attribute("primary", { type: "boolean", description: "Indicates the 'primary' or preferred value." }),
      ...(options.extra ?? []),
    ],
    { multiValued: true, description },
  );
}

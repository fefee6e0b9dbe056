import { attribute, complex } from "./build.js";
import type { AttributeDefinition } from "./types.js";

/**
 * Common attributes of every resource (RFC 7643 §3.1). They are not part of
 * any schema's `attributes` in /Schemas, but filters, sorting and projection
 * resolve them like core attributes.
 */
export const commonAttributes: AttributeDefinition[] = [
  attribute("id", {
    caseExact: true,
    mutability: "readOnly",
    returned: "always",
    uniqueness: "server",
    description: "A unique identifier for a SCIM resource as defined by the service provider.",
  }),
  attribute("externalId", {
    caseExact: true,
    description: "A String that is an identifier for the resource as defined by the provisioning client.",
  }),
  complex(
    "meta",
    [
      attribute("resourceType", { caseExact: true, mutability: "readOnly" }),
      attribute("created", { type: "dateTime", mutability: "readOnly" }),
      attribute("lastModified", { type: "dateTime", mutability: "readOnly" }),
      attribute("location", { type: "reference", mutability: "readOnly", caseExact: true }),
      attribute("version", { caseExact: true, mutability: "readOnly" }),
    ],
    { mutability: "readOnly", description: "Resource metadata." },
  ),
];

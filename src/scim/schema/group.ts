import { attribute, complex } from "./build.js";
import type { SchemaDefinition } from "./types.js";
import { GROUP_SCHEMA } from "./urns.js";

/** The core Group schema, RFC 7643 §4.2 and §8.7.1. */
export const groupSchema: SchemaDefinition = {
  id: GROUP_SCHEMA,
  name: "Group",
  description: "Group",
  attributes: [
    attribute("displayName", {
      required: true,
      uniqueness: "server",
      description: "A human-readable name for the Group. Unique per tenant, compared case-insensitively.",
    }),
    complex(
      "members",
      [
        attribute("value", { mutability: "immutable", description: "Identifier of the member of this Group." }),
        attribute("$ref", {
          type: "reference",
          referenceTypes: ["User"],
          mutability: "immutable",
          description: "The URI corresponding to a SCIM resource that is a member of this Group.",
        }),
        attribute("display", { mutability: "readOnly", description: "A human-readable name of the member." }),
        attribute("type", {
          mutability: "immutable",
          canonicalValues: ["User"],
          description: "The type of the member: only 'User' (nested groups are not supported).",
        }),
      ],
      { multiValued: true, description: "A list of members of the Group (users of the same tenant)." },
    ),
  ],
};

/**
 * The vendor's group licence extension (docs/licences.md): one attribute whose
 * value true/"true"/"True"/absent makes the group a licensing group.
 */
export function licenceGroupSchema(urn: string, attributeName: string): SchemaDefinition {
  return {
    id: urn,
    name: "LicenceGroup",
    description: "Licence carried by group membership",
    attributes: [
      attribute(attributeName, {
        type: "boolean",
        description:
          "true, \"true\", \"True\" or absent: members hold the Pro licence. false, \"false\" or \"False\": no licence.",
      }),
    ],
  };
}

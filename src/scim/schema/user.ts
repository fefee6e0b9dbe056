import { attribute, complex, multiValued } from "./build.js";
import type { AttributeDefinition, SchemaDefinition } from "./types.js";
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from "./urns.js";

/** The core User schema, RFC 7643 §4.1 and §8.7.1. */
export const userSchema: SchemaDefinition = {
  id: USER_SCHEMA,
  name: "User",
  description: "User Account",
  attributes: [
    attribute("userName", {
      required: true,
      uniqueness: "server",
      description:
        "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Unique per tenant, compared case-insensitively.",
    }),
    complex(
      "name",
      [
        attribute("formatted", { description: "The full name, formatted for display." }),
        attribute("familyName", { description: "The family name of the User." }),
        attribute("givenName", { description: "The given name of the User." }),
        attribute("middleName", { description: "The middle name(s) of the User." }),
        attribute("honorificPrefix", { description: "The honorific prefix(es) of the User." }),
        attribute("honorificSuffix", { description: "The honorific suffix(es) of the User." }),
      ],
      { description: "The components of the user's real name." },
    ),
    attribute("displayName", { description: "The name of the User, suitable for display to end-users." }),
    attribute("nickName", { description: "The casual way to address the user in real life." }),
    attribute("profileUrl", {
      type: "reference",
      referenceTypes: ["external"],
      description: "A fully qualified URL pointing to a page representing the User's online profile.",
    }),
    attribute("title", { description: "The user's title, such as \"Vice President\"." }),
    attribute("userType", { description: "Used to identify the relationship between the organization and the user." }),
    attribute("preferredLanguage", { description: "Indicates the User's preferred written or spoken language." }),
    attribute("locale", { description: "Used to indicate the User's default location for localization." }),
    attribute("timezone", { description: "The User's time zone in the 'Olson' time zone database format." }),
    attribute("active", { type: "boolean", description: "A Boolean value indicating the User's administrative status." }),
    attribute("password", {
      mutability: "writeOnly",
      returned: "never",
      description: "The User's cleartext password. Write-only: accepted and never stored or returned.",
    }),
    multiValued("emails", "Email addresses for the user.", ["work", "home", "other"]),
    multiValued("phoneNumbers", "Phone numbers for the User.", ["work", "home", "mobile", "fax", "pager", "other"]),
    multiValued("ims", "Instant messaging addresses for the User.", ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    multiValued("photos", "URLs of photos of the User.", ["photo", "thumbnail"], {
      valueType: "reference",
      referenceTypes: ["external"],
    }),
    complex(
      "addresses",
      [
        attribute("formatted", { description: "The full mailing address, formatted for display." }),
        attribute("streetAddress", { description: "The full street address component." }),
        attribute("locality", { description: "The city or locality component." }),
        attribute("region", { description: "The state or region component." }),
        attribute("postalCode", { description: "The zip code or postal code component." }),
        attribute("country", { description: "The country name component." }),
        attribute("type", { description: "A label indicating the attribute's function.", canonicalValues: ["work", "home", "other"] }),
        attribute("primary", { type: "boolean", description: "Indicates the 'primary' or preferred value." }),
      ],
      { multiValued: true, description: "A physical mailing address for this User." },
    ),
    complex(
      "groups",
      [
        attribute("value", { mutability: "readOnly", description: "The identifier of the User's group." }),
        attribute("$ref", {
          type: "reference",
          referenceTypes: ["Group"],
          mutability: "readOnly",
          description: "The URI of the corresponding 'Group' resource.",
        }),
        attribute("display", { mutability: "readOnly", description: "A human-readable name." }),
        attribute("type", {
          mutability: "readOnly",
          canonicalValues: ["direct", "indirect"],
          description: "Membership type: 'direct' here (nested groups are not provisioned).",
        }),
      ],
      {
        multiValued: true,
        mutability: "readOnly",
        description: "A list of groups to which the user belongs. Read-only: managed through the Group resource.",
      },
    ),
    multiValued("entitlements", "A list of entitlements for the User.", []),
    multiValued("roles", "A list of roles for the User.", []),
    multiValued("x509Certificates", "A list of certificates issued to the User.", [], { valueType: "binary" }),
  ],
};

/** The enterprise `manager` (RFC 7643 §4.3): one definition, so isEnterpriseManager can compare identity. */
const enterpriseManager: AttributeDefinition = complex(
  "manager",
  [
    attribute("value", { description: "The id of the SCIM resource representing the User's manager." }),
    attribute("$ref", { type: "reference", referenceTypes: ["User"], description: "The URI of the manager's User resource." }),
    attribute("displayName", { mutability: "readOnly", description: "The displayName of the User's manager." }),
  ],
  { description: "The User's manager." },
);

/** The enterprise User extension, RFC 7643 §4.3. */
export const enterpriseUserSchema: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: "EnterpriseUser",
  description: "Enterprise User",
  attributes: [
    attribute("employeeNumber", { description: "Numeric or alphanumeric identifier assigned to a person." }),
    attribute("costCenter", { description: "Identifies the name of a cost center." }),
    attribute("organization", { description: "Identifies the name of an organization." }),
    attribute("division", { description: "Identifies the name of a division." }),
    attribute("department", { description: "Identifies the name of a department." }),
    enterpriseManager,
  ],
};

/**
 * Whether `def` is the enterprise `manager`. It alone accepts its id as a
 * bare string or as `[{"value": id}]` where RFC 7643 §4.3 says a single
 * complex value: Entra documents and sends both shapes
 * (https://github.com/Captain-P-Goldfish/SCIM-SDK/issues/686), and refusing them would fail every manager sync. Every
 * other attribute gets exactly its declared JSON type (RFC 7643 §2.3).
 */
export function isEnterpriseManager(def: AttributeDefinition): boolean {
  return def === enterpriseManager;
}

/** The vendor's user extension: single-valued strings, as Entra allows for non-gallery apps. */
export function vendorUserSchema(urn: string, attributeNames: string[]): SchemaDefinition {
  return {
    id: urn,
    name: "VendorUser",
    description: "Vendor-specific user attributes",
    attributes: attributeNames.map((name) => attribute(name, { description: `Vendor attribute ${name}.` })),
  };
}

export type { ScimValue, ScimObject, ResourceDoc, UserDoc, GroupDoc, ResourceMeta, UserGroupRef, GroupMemberRef } from "./types.js";
export {
  coerceAttribute,
  coerceSingle,
  coerceBoolean,
  isAbsent,
  MAX_STRING_LENGTH,
  MAX_BINARY_LENGTH,
  MAX_VALUES,
} from "./coerce.js";
export { parseDocument, renderDocument, NON_DOC_KEYS, type AttributeCoercer, type ParseDocumentOptions } from "./document.js";
export { parseUserResource, validateUserDoc, userKeys, renderUser, MAX_USER_NAME_LENGTH, type UserKeys } from "./user.js";
export {
  parseGroupResource,
  validateGroupDoc,
  parseMembers,
  parseLicence,
  groupKeys,
  withStoredLicence,
  renderGroup,
  MAX_GROUP_NAME_LENGTH,
  type ParsedGroup,
  type GroupKeys,
} from "./group.js";
export { applyTenantPolicy, DEFAULT_LOCATION, type TenantPolicy } from "./tenant-policy.js";
export { weakETag, parseIfMatch, eTagMatches, checkIfMatch } from "./etag.js";
export { sameDoc, changedAttributes } from "./same-doc.js";
export { managerIdOf, managerDisplayNameOf, withManagerDisplayName } from "./manager.js";

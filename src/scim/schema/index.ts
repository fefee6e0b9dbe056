export * from "./types.js";
export * from "./urns.js";
export { commonAttributes } from "./common.js";
export { userSchema, enterpriseUserSchema, vendorUserSchema, isEnterpriseManager } from "./user.js";
export { groupSchema, licenceGroupSchema } from "./group.js";
export {
  resourceDefinitions,
  resolvePath,
  findAttribute,
  findSchema,
  extensionForKey,
  undeclaredSchemaOf,
  declaredExtensions,
  splitUrn,
  topLevelAttributes,
  type ResourceDefinitions,
} from "./resources.js";

export { serviceProviderConfig, MAX_PAYLOAD_SIZE } from "./service-provider-config.js";
export { resourceTypes, resourceType } from "./resource-types.js";
export { schemas, schema } from "./schemas.js";

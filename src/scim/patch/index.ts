export { parsePatchRequest, type PatchOperation, type PatchOpKind } from "./parse.js";
export { applyPatch } from "./apply.js";
export { foldMemberOperations, isMembersPath, type MemberDelta } from "./member-delta.js";

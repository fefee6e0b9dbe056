/** The SCIM filter engine (RFC 7644 §3.4.2.2, §3.5.2 paths): parse → bind → evaluate / seek. */
export type { AttributePath, CompareOperator, CompareValue, FilterNode, PatchPath } from "./ast.js";
export { parseFilter, parsePatchPath, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from "./parse.js";
export {
  bindFilter,
  bindPatchPath,
  comparedAttribute,
  formatPath,
  type BoundFilter,
  type BoundPatchPath,
  type BoundPath,
} from "./bind.js";
export { matchesFilter } from "./evaluate.js";
export { findSeek, checkMembershipFilter, type Seek } from "./seek.js";

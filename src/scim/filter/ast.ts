/**
 * The filter AST of RFC 7644 §3.4.2.2, shared by list filtering and by PATCH
 * paths (§3.5.2, `valuePath`). Names are kept as written; binding them to the
 * schema (case-insensitive lookup, caseExact) happens in bind.ts.
 */

export type CompareOperator = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le";

/** A literal compValue: JSON false / null / true / number / string. */
export type CompareValue = string | number | boolean | null;

/** attrPath = [URI ":"] ATTRNAME *1subAttr */
export interface AttributePath {
  /** Schema URN when the path was written fully qualified. */
  urn?: string;
  attribute: string;
  subAttribute?: string;
}

export type FilterNode =
  | {
      kind: "compare";
      path: AttributePath;
      op: CompareOperator;
      value: CompareValue;
      /**
       * The value's text as written when it was not a JSON string (a number,
       * true/false/null or an unquoted token). Binding uses it to read
       * `externalId eq 00123` as the string "00123" on a string attribute.
       */
      source?: string;
    }
  | { kind: "present"; path: AttributePath }
  | { kind: "and"; left: FilterNode; right: FilterNode }
  | { kind: "or"; left: FilterNode; right: FilterNode }
  | { kind: "not"; filter: FilterNode }
  /**
   * `emails[type eq "work" and value co "@x"]`: true when one element of the
   * multi-valued attribute satisfies `filter`, whose paths are relative to
   * the element (sub-attribute names in `attribute`).
   */
  | { kind: "valuePath"; path: AttributePath; filter: FilterNode };

/**
 * A PATCH path (RFC 7644 §3.5.2): `attrPath`, or `valuePath [ "." subAttr ]`
 * such as `emails[type eq "work"].value` or `members[value eq "id"]`.
 */
export interface PatchPath {
  path: AttributePath;
  /** The filter inside `[...]`, relative to the elements of `path`. */
  filter?: FilterNode;
  /** The sub-attribute after `].`, e.g. "value" in `emails[type eq "work"].value`. */
  subAttribute?: string;
}

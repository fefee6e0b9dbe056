/**
 * Parser for the filter grammar of RFC 7644 §3.4.2.2 and the PATCH path
 * grammar of §3.5.2. Pure: a string in, an AST (ast.ts) out, or a ScimError.
 *
 * Precedence, tightest first: attribute expressions, `not`, `and`, `or`
 * (the reading erratum 4670 asks for; the RFC table lists logical operators
 * first, but `a eq 1 and b eq 2 or c eq 3` must be `(a and b) or c`).
 */
import { ScimError } from "../errors.js";
import type { AttributePath, CompareOperator, CompareValue, FilterNode, PatchPath } from "./ast.js";

/**
 * Longest filter or PATCH path accepted; longer input is refused before parsing.
 * 8 KiB, not 4: a match query of 150 or-ed `userName eq "…@…"` clauses is about
 * 6 KB and must be answered, not refused; Workers accept 16 KB URLs.
 */
export const MAX_FILTER_LENGTH = 8192;
/** Deepest nesting of `( )` and `[ ]` accepted; bounds recursion in every later pass. */
export const MAX_FILTER_DEPTH = 50;

const COMPARE_OPERATORS: ReadonlySet<string> = new Set<CompareOperator>([
  "eq",
  "ne",
  "co",
  "sw",
  "ew",
  "gt",
  "ge",
  "lt",
  "le",
]);

/** RFC 7643 §2.1 ATTRNAME, plus the `$ref` sub-attribute of RFC 7643 §2.4. */
const ATTRNAME = /^(?:\$ref|[A-Za-z][A-Za-z0-9_-]*)$/i;
/** A JSON number (RFC 8259 §6), the only numeric compValue. */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

type TokenKind = "(" | ")" | "[" | "]" | "string" | "word" | "end";

interface Token {
  kind: TokenKind;
  /** The token as written (a string token keeps its quotes and escapes). */
  text: string;
  /** 0-based offset in the input. */
  pos: number;
}

type Fail = (detail: string) => ScimError;

function describe(token: Token): string {
  if (token.kind === "end") return "end of input";
  const shown = token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text;
  return `'${shown}'`;
}

function tokenize(input: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")" || c === "[" || c === "]") {
      tokens.push({ kind: c, text: c, pos: i });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === "\\" ? 2 : 1;
      if (j >= input.length) throw fail(`Unterminated string starting at position ${i + 1}`);
      tokens.push({ kind: "string", text: input.slice(i, j + 1), pos: i });
      i = j + 1;
    } else {
      // A word: an attribute path, an operator, a keyword, a number or an
      // unquoted value. URN paths keep their ':' and '.' ("…:2.0:User:x").
      let j = i;
      while (j < input.length && !/[\s()[\]"]/.test(input[j] as string)) j++;
      tokens.push({ kind: "word", text: input.slice(i, j), pos: i });
      i = j;
    }
  }
  tokens.push({ kind: "end", text: "", pos: input.length });
  return tokens;
}

/**
 * attrPath = [URI ":"] ATTRNAME *1subAttr. A URN ends at the last ':'
 * (RFC 7644 §3.10), so the dots in "2.0" stay in the URN.
 */
function parseAttrPath(token: Token, fail: Fail): AttributePath {
  const text = token.text;
  const at = `at position ${token.pos + 1}`;
  let urn: string | undefined;
  let rest = text;
  if (text.toLowerCase().startsWith("urn:")) {
    const idx = text.lastIndexOf(":");
    urn = text.slice(0, idx);
    rest = text.slice(idx + 1);
    if (urn.split(":").some((segment) => segment.length === 0) || urn.split(":").length < 3) {
      throw fail(`Invalid schema URN in attribute path '${text}' ${at}`);
    }
  }
  const parts = rest.split(".");
  if (parts.length > 2 || !parts.every((p) => ATTRNAME.test(p))) {
    throw fail(`Invalid attribute path '${text}' ${at}`);
  }
  const path: AttributePath = { attribute: parts[0] as string };
  if (urn !== undefined) path.urn = urn;
  if (parts[1] !== undefined) path.subAttribute = parts[1];
  return path;
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly fail: Fail,
  ) {}

  peek(): Token {
    return this.tokens[this.index] as Token;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.index++;
    return token;
  }

  isKeyword(token: Token, keyword: string): boolean {
    return token.kind === "word" && token.text.toLowerCase() === keyword;
  }

  unexpected(token: Token, expected: string): ScimError {
    return this.fail(`Expected ${expected} at position ${token.pos + 1}, found ${describe(token)}`);
  }

  expect(kind: TokenKind, expected: string): Token {
    const token = this.next();
    if (token.kind !== kind) throw this.unexpected(token, expected);
    return token;
  }

  enter(token: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw this.fail(`Filter nested deeper than ${MAX_FILTER_DEPTH} levels at position ${token.pos + 1}`);
    }
  }

  leave(): void {
    this.depth--;
  }

  /** FILTER, then end of input. */
  parseWhole(): FilterNode {
    const node = this.parseOr(false);
    const after = this.peek();
    if (after.kind !== "end") throw this.unexpected(after, "'and', 'or' or end of filter");
    return node;
  }

  /** `inValuePath`: inside `[ ]`, where valFilter forbids another valuePath. */
  parseOr(inValuePath: boolean): FilterNode {
    let left = this.parseAnd(inValuePath);
    while (this.isKeyword(this.peek(), "or")) {
      this.next();
      left = { kind: "or", left, right: this.parseAnd(inValuePath) };
    }
    return left;
  }

  parseAnd(inValuePath: boolean): FilterNode {
    let left = this.parseUnary(inValuePath);
    while (this.isKeyword(this.peek(), "and")) {
      this.next();
      left = { kind: "and", left, right: this.parseUnary(inValuePath) };
    }
    return left;
  }

  /** `*1"not" "(" FILTER ")"`, a parenthesised group, or an attribute expression. */
  parseUnary(inValuePath: boolean): FilterNode {
    const token = this.peek();
    if (this.isKeyword(token, "not")) {
      this.next();
      const open = this.peek();
      if (open.kind !== "(") throw this.unexpected(open, "'(' after 'not'");
      return { kind: "not", filter: this.parseGroup(inValuePath) };
    }
    if (token.kind === "(") return this.parseGroup(inValuePath);
    if (token.kind === "word") return this.parseAttrExp(inValuePath);
    throw this.unexpected(token, "an attribute path, 'not' or '('");
  }

  parseGroup(inValuePath: boolean): FilterNode {
    const open = this.expect("(", "'('");
    this.enter(open);
    const inner = this.parseOr(inValuePath);
    this.expect(")", "')' or a logical operator");
    this.leave();
    return inner;
  }

  /** attrExp, or valuePath (optionally in Entra's `valuePath.subAttr op value` form). */
  parseAttrExp(inValuePath: boolean): FilterNode {
    const pathToken = this.next();
    const path = parseAttrPath(pathToken, this.fail);
    const open = this.peek();
    if (open.kind !== "[") return this.parseComparison(path);

    if (inValuePath) throw this.fail(`A value filter cannot contain another '[' (position ${open.pos + 1})`);
    if (path.subAttribute !== undefined) {
      throw this.fail(`'[' must follow a multi-valued attribute, not a sub-attribute (position ${open.pos + 1})`);
    }
    const filter = this.parseValueFilter();
    const after = this.peek();
    if (after.kind === "word" && after.text.startsWith(".")) {
      // Entra: `emails[type eq "work"].value eq "x"` is not in the RFC
      // grammar; it means one element with type "work" and that value.
      this.next();
      const sub = after.text.slice(1);
      if (!ATTRNAME.test(sub)) throw this.fail(`Invalid sub-attribute '${after.text}' at position ${after.pos + 1}`);
      const comparison = this.parseComparison({ attribute: sub });
      return { kind: "valuePath", path, filter: { kind: "and", left: filter, right: comparison } };
    }
    return { kind: "valuePath", path, filter };
  }

  /** "[" valFilter "]" */
  parseValueFilter(): FilterNode {
    const open = this.expect("[", "'['");
    this.enter(open);
    const filter = this.parseOr(true);
    this.expect("]", "']' or a logical operator");
    this.leave();
    return filter;
  }

  /** `SP "pr"` or `SP compareOp SP compValue` after an attribute path. */
  parseComparison(path: AttributePath): FilterNode {
    const opToken = this.next();
    if (opToken.kind !== "word") throw this.unexpected(opToken, "an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)");
    const op = opToken.text.toLowerCase();
    if (op === "pr") return { kind: "present", path };
    if (!COMPARE_OPERATORS.has(op)) {
      throw this.fail(`Unknown operator ${describe(opToken)} at position ${opToken.pos + 1}`);
    }
    const valueToken = this.next();
    if (valueToken.kind === "string") {
      return { kind: "compare", path, op: op as CompareOperator, value: this.parseString(valueToken) };
    }
    if (valueToken.kind !== "word") throw this.unexpected(valueToken, "a value");
    const node: FilterNode = { kind: "compare", path, op: op as CompareOperator, value: parseBareValue(valueToken.text) };
    if (typeof node.value !== "string") node.source = valueToken.text;
    return node;
  }

  parseString(token: Token): string {
    try {
      return JSON.parse(token.text) as string;
    } catch {
      throw this.fail(`Invalid string ${describe(token)} at position ${token.pos + 1} (JSON string escapes only)`);
    }
  }
}

/**
 * compValue without quotes: JSON false / null / true / number, else (our
 * tolerance for Entra's documented `externalId eq jyoung` and the
 * `emails.Value co example.com` of Microsoft's SCIMReferenceCode Postman
 * collection) the token itself as a string.
 */
function parseBareValue(text: string): CompareValue {
  const lower = text.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (lower === "null") return null;
  if (JSON_NUMBER.test(text)) return Number(text);
  return text;
}

function checkLength(input: string, fail: Fail, what: string): void {
  if (input.length > MAX_FILTER_LENGTH) throw fail(`${what} longer than ${MAX_FILTER_LENGTH} characters`);
  if (input.trim().length === 0) throw fail(`Empty ${what.toLowerCase()}`);
}

/** Parses a `filter` query parameter or SearchRequest filter (RFC 7644 §3.4.2.2). */
export function parseFilter(input: string): FilterNode {
  const fail: Fail = (detail) => ScimError.invalidFilter(detail);
  checkLength(input, fail, "Filter");
  return new Parser(tokenize(input, fail), fail).parseWhole();
}

/**
 * Parses a PATCH operation's `path` (RFC 7644 §3.5.2):
 * `PATH = attrPath / valuePath [subAttr]`. Every defect, including one in
 * the bracketed filter, is `invalidPath` (the scimType the PATCH handler
 * reports for a bad path).
 */
export function parsePatchPath(input: string): PatchPath {
  const fail: Fail = (detail) => ScimError.invalidPath(detail);
  checkLength(input, fail, "Path");
  const parser = new Parser(tokenize(input, fail), fail);
  const pathToken = parser.next();
  if (pathToken.kind !== "word") throw parser.unexpected(pathToken, "an attribute path");
  const result: PatchPath = { path: parseAttrPath(pathToken, fail) };
  if (parser.peek().kind === "[") {
    if (result.path.subAttribute !== undefined) {
      throw fail(`'[' must follow a multi-valued attribute, not a sub-attribute (position ${parser.peek().pos + 1})`);
    }
    result.filter = parser.parseValueFilter();
    const after = parser.peek();
    if (after.kind === "word" && after.text.startsWith(".")) {
      parser.next();
      const sub = after.text.slice(1);
      if (!ATTRNAME.test(sub)) throw fail(`Invalid sub-attribute '${after.text}' at position ${after.pos + 1}`);
      result.subAttribute = sub;
    }
  }
  const end = parser.peek();
  if (end.kind !== "end") throw parser.unexpected(end, result.filter ? "'.subAttribute' or end of path" : "'[' or end of path");
  return result;
}

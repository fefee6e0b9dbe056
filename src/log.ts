/**
 * The worker's log lines: one JSON object per line with a `level`
 * ("info" | "warn" | "error"), so Workers Logs indexes and filters their
 * fields. Every module logs through `log`; an error is logged through
 * `errorFields`, never as its raw message or stack.
 *
 * Why: a D1 error that went through Drizzle reads "Failed query: <sql>
 * params: <values>", and the bound values are user names, e-mail addresses,
 * tenant ids; a driver message can quote a value ("… for value '…'"). Logs
 * are kept and shared far more widely than the database, so they get the
 * error's class, a message with the SQL, parameters, quoted literals and
 * anything token-shaped removed, the classes of its causes and the stack
 * frames (code locations, no message).
 */

export type LogLevel = "info" | "warn" | "error";

export function log(level: LogLevel, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

const MAX_MESSAGE = 200;
const MAX_FRAMES = 8;

/** The part of a message that may be logged: what a driver says, not what it was given. */
export function redactMessage(message: string): string {
  let text = message;
  // Drizzle's own wording: everything after it is the statement and its parameters.
  const failed = text.search(/failed query:/i);
  if (failed >= 0) text = text.slice(0, failed) + "[query redacted]";
  const params = text.search(/\bparams?\s*:/i);
  if (params >= 0) text = text.slice(0, params) + "[params redacted]";
  // Quoted literals (values, identifiers, SQL fragments a parser quotes back).
  text = text.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "?");
  // A statement quoted without quotes: from its first keyword on.
  text = text.replace(/\b(select|insert|update|delete|replace|with|create|drop|alter|pragma|values)\b[\s\S]*/i, "[sql redacted]");
  // Secrets that have a shape: our tokens, bearer credentials, long opaque strings.
  text = text.replace(/\b(scim|scimat)_[A-Za-z0-9_-]+/g, "$1_[redacted]");
  text = text.replace(/\bbearer\s+\S+/gi, "Bearer [redacted]");
  text = text.replace(/[A-Za-z0-9+/_=-]{32,}/g, "[redacted]");
  text = text.replace(/\s+/g, " ").trim();
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

function className(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? err.name : (err.constructor?.name ?? "Error");
  return typeof err;
}

/**
 * What a log line may say about an error: `error` (its class), `message`
 * (redacted: for a Drizzle query error, the driver's message underneath),
 * `causes` (the classes of its cause chain) and `stack` (frames only).
 */
export function errorFields(err: unknown): { error: string; message: string; causes?: string[]; stack?: string[] } {
  const causes: string[] = [];
  let innermost: unknown = err;
  for (let cause = err instanceof Error ? err.cause : undefined, depth = 0; cause !== undefined && depth < 5; depth++) {
    causes.push(className(cause));
    innermost = cause;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  // Drizzle wraps the driver's error: its own message is the statement, the cause says what went wrong.
  const source = err instanceof Error && /failed query:/i.test(err.message) && innermost instanceof Error ? innermost : err;
  const raw = source instanceof Error ? source.message : typeof source === "string" ? source : "";
  const fields: { error: string; message: string; causes?: string[]; stack?: string[] } = { error: className(err), message: redactMessage(raw) };
  if (causes.length > 0) fields.causes = causes;
  // The stack opens with the message (SQL and parameters included): only what follows it is read.
  const stack = err instanceof Error ? (err.stack ?? "") : "";
  const header = err instanceof Error ? stack.indexOf(err.message) : -1;
  const frames = (header >= 0 && err instanceof Error ? stack.slice(header + err.message.length) : stack)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("at "))
    .slice(0, MAX_FRAMES);
  if (frames.length > 0) fields.stack = frames;
  return fields;
}

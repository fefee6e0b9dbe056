/**
 * SCIM errors (RFC 7644 §3.12). Everything under the SCIM sub-app that fails
 * is rendered from a ScimError: `application/scim+json`, `status` as a string,
 * and a `scimType` only where the RFC defines one for that status.
 */

export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
export const SCIM_CONTENT_TYPE = "application/scim+json";

/** RFC 7644 §3.12, Table 9. */
export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

export type ScimStatus = 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413 | 429 | 500 | 501 | 503;

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  readonly status: ScimStatus;
  readonly scimType: ScimType | undefined;
  /** Extra response headers (Retry-After on 429/503, WWW-Authenticate on 401). */
  readonly headers: Record<string, string>;

  constructor(status: ScimStatus, detail: string, scimType?: ScimType, headers: Record<string, string> = {}) {
    super(detail);
    this.name = "ScimError";
    this.status = status;
    this.scimType = scimType;
    this.headers = headers;
  }

  toJSON(): ScimErrorBody {
    const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(this.status), detail: this.message };
    if (this.scimType) body.scimType = this.scimType;
    return body;
  }

  static badRequest(scimType: ScimType, detail: string): ScimError {
    return new ScimError(400, detail, scimType);
  }
  static invalidFilter(detail: string): ScimError {
    return new ScimError(400, detail, "invalidFilter");
  }
  static invalidPath(detail: string): ScimError {
    return new ScimError(400, detail, "invalidPath");
  }
  static invalidValue(detail: string): ScimError {
    return new ScimError(400, detail, "invalidValue");
  }
  static invalidSyntax(detail: string): ScimError {
    return new ScimError(400, detail, "invalidSyntax");
  }
  static noTarget(detail: string): ScimError {
    return new ScimError(400, detail, "noTarget");
  }
  static mutability(detail: string): ScimError {
    return new ScimError(400, detail, "mutability");
  }
  static uniqueness(detail: string): ScimError {
    return new ScimError(409, detail, "uniqueness");
  }
  static notFound(detail: string): ScimError {
    return new ScimError(404, detail);
  }
}

/** The Response for a ScimError; used by the sub-app's onError and notFound. */
export function scimErrorResponse(err: ScimError): Response {
  return new Response(JSON.stringify(err.toJSON()), {
    status: err.status,
    headers: { "content-type": SCIM_CONTENT_TYPE, ...err.headers },
  });
}

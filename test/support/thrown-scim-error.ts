/** What a pure protocol function throws, for the unit tests beside it. */
import { ScimError } from "../../src/scim/errors.js";

/** The ScimError `fn` throws; anything else thrown propagates, and nothing thrown fails the test. */
export function thrownScimError(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScimError) return err;
    throw err;
  }
  throw new Error("expected a ScimError, nothing was thrown");
}

/** The scimType (RFC 7644 §3.12) of the ScimError `fn` throws. */
export function thrownScimType(fn: () => unknown): string | undefined {
  return thrownScimError(fn).scimType;
}

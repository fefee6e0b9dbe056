import { describe, expect, it } from "vitest";
import { isTestConnectionProbe } from "./test-connection.js";

describe("isTestConnectionProbe", () => {
  it("recognises Entra's probe: a userName eq filter on a GUID that found nobody", () => {
    expect(isTestConnectionProbe('userName eq "8c1f3b5e-2d4a-4f6b-9e7c-0a1b2c3d4e5f"', 0)).toBe(true);
    expect(isTestConnectionProbe('UserName EQ "8C1F3B5E-2D4A-4F6B-9E7C-0A1B2C3D4E5F"', 0)).toBe(true);
  });

  it("is not a matching query of a provisioning cycle, nor a probe that found a user", () => {
    expect(isTestConnectionProbe('userName eq "ada@contoso.com"', 0)).toBe(false);
    expect(isTestConnectionProbe('userName eq "8c1f3b5e-2d4a-4f6b-9e7c-0a1b2c3d4e5f"', 1)).toBe(false);
    expect(isTestConnectionProbe('externalId eq "8c1f3b5e-2d4a-4f6b-9e7c-0a1b2c3d4e5f"', 0)).toBe(false);
    expect(isTestConnectionProbe(undefined, 0)).toBe(false);
  });
});

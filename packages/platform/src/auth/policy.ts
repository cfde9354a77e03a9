import { SementeError } from "@semente/core/errors";
import { Action, type Principal, Role } from "./types.ts";

const RUNNER_ACTIONS = new Set<Action>([Action.read, Action.validate, Action.create, Action.cancel]);

function covers(allowed: string[], value: string): boolean {
  return allowed.includes("*") || allowed.includes(value);
}

/** Whether the principal's roles allow the action at all (RBAC, before tenant/environment). */
export function hasRoleFor(principal: Principal, action: Action): boolean {
  return principal.roles.some(
    (role) =>
      role === Role.admin ||
      (role === Role.read && action === Action.read) ||
      (role === Role.seedRunner && RUNNER_ACTIONS.has(action)),
  );
}

/**
 * Throws FORBIDDEN unless the principal may perform `action` on `tenant` in `environment` (RBAC + ABAC).
 * A scope left undefined is not checked (e.g. listing without a tenant filter narrows the query instead).
 */
export function assertAllowed(
  principal: Principal,
  action: Action,
  scope: { tenant?: string; environment?: string },
): void {
  if (!hasRoleFor(principal, action)) throw new SementeError("FORBIDDEN", `role does not allow '${action}'`);
  if (scope.tenant !== undefined && !covers(principal.tenants, scope.tenant)) {
    throw new SementeError("FORBIDDEN", "tenant not allowed for this token");
  }
  if (scope.environment !== undefined && !covers(principal.environments, scope.environment)) {
    throw new SementeError("FORBIDDEN", "environment not allowed for this token");
  }
}

/** Whether the principal may see resources of this tenant × environment (used to filter lists). */
export function canSee(principal: Principal, tenant: string, environment: string): boolean {
  return covers(principal.tenants, tenant) && covers(principal.environments, environment);
}

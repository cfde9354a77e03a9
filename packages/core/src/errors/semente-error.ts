import { PROBLEM_CATALOG, problemType } from "./catalog.ts";
import type { Problem, ProblemCode, ProblemIssue } from "./types.ts";

export interface SementeErrorOptions extends ErrorOptions {
  /** Whether retrying the same operation may succeed (the bus naks instead of terminating). */
  retryable?: boolean;
  /** Validation details, each with a JSON pointer. */
  errors?: ProblemIssue[];
  /** Extension members added to the problem body (never secrets or PII). */
  extensions?: Record<string, unknown>;
  /** Overrides the catalogue's HTTP status. */
  status?: number;
}

/** The one error type of Semente: carries a stable code, HTTP status and retryability. */
export class SementeError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly errors: ProblemIssue[] | undefined;
  readonly extensions: Record<string, unknown>;

  constructor(code: ProblemCode, message: string, options: SementeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SementeError";
    this.code = code;
    this.status = options.status ?? PROBLEM_CATALOG[code].status;
    this.retryable = options.retryable ?? false;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
  }

  /** CLI exit code for this error. */
  get exitCode(): number {
    return PROBLEM_CATALOG[this.code].exit;
  }
}

export function isSementeError(value: unknown): value is SementeError {
  return value instanceof SementeError;
}

/**
 * Maps anything thrown to an RFC 9457 body. Unknown errors become a generic 500 whose detail
 * does not leak the original message (it may carry SQL, secrets or PII).
 */
export function toProblem(error: unknown, instance?: string): Problem {
  const e = isSementeError(error) ? error : new SementeError("INTERNAL", "Unexpected internal error");
  const problem: Problem = {
    ...e.extensions,
    type: problemType(e.code),
    title: PROBLEM_CATALOG[e.code].title,
    status: e.status,
    detail: e.message,
    code: e.code,
  };
  if (instance !== undefined) problem.instance = instance;
  if (e.errors !== undefined) problem.errors = e.errors;
  return problem;
}

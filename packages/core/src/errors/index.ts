export { PROBLEM_CATALOG, problemType } from "./catalog.ts";
export { isSementeError, SementeError, toProblem } from "./semente-error.ts";
export { ProblemCode } from "./types.ts";
export type { SementeErrorOptions } from "./semente-error.ts";
export type { Problem, ProblemIssue } from "./types.ts";

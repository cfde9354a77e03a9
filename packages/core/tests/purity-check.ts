/**
 * The purity rule of `@semente/core` as code (ADR 0002): generation reads no clock, no randomness,
 * no environment and does no I/O. `checkSource` reports every violation in one source text with its
 * line; comments are ignored (they may name what they avoid), string literals are not (a
 * `process.env` lookup by string still needs `process`).
 */

/** One violation: where, and which rule. */
export interface PurityViolation {
  file: string;
  line: number;
  rule: string;
  text: string;
}

/** Module specifiers the core may not import: I/O, network, process control, platform SDKs. */
const FORBIDDEN_MODULES: readonly RegExp[] = [
  /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|worker_threads|cluster|dgram|dns|tls|readline|repl|vm)$/,
  /^(node:)?(os|process|perf_hooks|timers|timers\/promises)$/,
  /^bun(:.*)?$/,
  /^postgres$/,
  /^@nats-io\//,
  /^@aws-sdk\//,
  /^@opentelemetry\//,
  /^(pino|prom-client|node-vault|jose)$/,
  /^@semente\/platform(\/|$)/,
  /(^|\/)platform\/(src|tests)\//,
];

/** Expressions that read the clock, randomness, the process or Bun's I/O. */
const FORBIDDEN_CALLS: readonly { rule: string; pattern: RegExp }[] = [
  { rule: "process", pattern: /(?<![\w$.])process\s*(\.|\[)/ },
  { rule: "Date.now", pattern: /\bDate\s*\.\s*now\b/ },
  { rule: "new Date() without argument", pattern: /\bnew\s+Date\s*\(\s*\)/ },
  { rule: "Date() as a function", pattern: /(?<![\w$.]|new\s)Date\s*\(\s*\)/ },
  { rule: "performance.now", pattern: /\bperformance\s*\.\s*now\b/ },
  { rule: "Math.random", pattern: /\bMath\s*\.\s*random\b/ },
  { rule: "crypto randomness", pattern: /\b(randomUUID|getRandomValues|randomBytes|randomInt|randomFill(Sync)?)\b/ },
  { rule: "Bun runtime", pattern: /(?<![\w$.])Bun\s*\./ },
  { rule: "timer", pattern: /(?<![\w$.])(setTimeout|setInterval|setImmediate)\s*\(/ },
  { rule: "network", pattern: /(?<![\w$.])(fetch|WebSocket|XMLHttpRequest)\s*\(/ },
  { rule: "require", pattern: /(?<![\w$.])require\s*\(/ },
];

const IMPORT_SPECIFIERS: readonly RegExp[] = [
  /\bfrom\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']/g,
  /(?:^|[;\s])import\s*["']([^"']+)["']/g,
];

/** Index just past the string literal opened at `start` (escapes honoured). */
function skipString(source: string, start: number): number {
  const quote = source[start];
  let i = start + 1;
  while (i < source.length && source[i] !== quote) i += source[i] === "\\" ? 2 : 1;
  return Math.min(i + 1, source.length);
}

/** Index just past the comment starting at `start`, or `start` if none starts there. */
function skipComment(source: string, start: number): number {
  if (source[start] !== "/") return start;
  if (source[start + 1] === "/") {
    const end = source.indexOf("\n", start);
    return end === -1 ? source.length : end;
  }
  if (source[start + 1] === "*") {
    const end = source.indexOf("*/", start + 2);
    return end === -1 ? source.length : end + 2;
  }
  return start;
}

/** Replaces comments with spaces (newlines kept, so line numbers hold). */
export function stripComments(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '"' || c === "'" || c === "`") {
      const end = skipString(source, i);
      out += source.slice(i, end);
      i = end;
      continue;
    }
    const end = skipComment(source, i);
    if (end > i) {
      out += source.slice(i, end).replace(/[^\n]/g, " ");
      i = end;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function importViolations(file: string, lines: readonly string[]): PurityViolation[] {
  const found: PurityViolation[] = [];
  lines.forEach((text, index) => {
    for (const pattern of IMPORT_SPECIFIERS) {
      for (const match of text.matchAll(pattern)) {
        const specifier = match[1]!;
        if (FORBIDDEN_MODULES.some((m) => m.test(specifier))) {
          found.push({ file, line: index + 1, rule: `imports ${specifier}`, text: text.trim() });
        }
      }
    }
  });
  return found;
}

function callViolations(file: string, lines: readonly string[]): PurityViolation[] {
  const found: PurityViolation[] = [];
  lines.forEach((text, index) => {
    for (const { rule, pattern } of FORBIDDEN_CALLS) {
      if (pattern.test(text)) found.push({ file, line: index + 1, rule, text: text.trim() });
    }
  });
  return found;
}

/** Every purity violation in `source` (the text of `file`). */
export function checkSource(file: string, source: string): PurityViolation[] {
  const lines = stripComments(source).split("\n");
  return [...importViolations(file, lines), ...callViolations(file, lines)].sort((a, b) => a.line - b.line);
}

/** Dependency names in a package.json that the core may not depend on. */
export function forbiddenDependencies(manifest: Record<string, unknown>): string[] {
  const sections = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];
  return sections.flatMap((section) =>
    Object.keys((manifest[section] ?? {}) as Record<string, string>).filter((name) =>
      FORBIDDEN_MODULES.some((m) => m.test(name)),
    ),
  );
}

/** One line per violation, `file:line rule: text`. */
export function formatViolations(violations: readonly PurityViolation[]): string {
  return violations.map((v) => `${v.file}:${v.line} ${v.rule}: ${v.text}`).join("\n");
}
